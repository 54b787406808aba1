using Mosaic.Ros.Bags;
using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;
using Xunit.Abstractions;

namespace Mosaic.Ros.Tests;

/// <summary>Every recording in ../shared/data/bags, written by rosbag2, rosbags and others, nobody on this project.</summary>
public class RealBagTests(ITestOutputHelper output)
{
    public static TheoryData<string> Bags()
    {
        var data = new TheoryData<string>();
        foreach (var bag in RealBags.All()) data.Add(RealBags.Relative(bag));
        return data;
    }

    [Theory]
    [MemberData(nameof(Bags))]
    public void Every_message_reads_and_decodes_when_its_definition_is_known(string relative)
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", relative));
        long count = 0, decoded = 0, withoutDefinition = 0, notCdr = 0, previous = long.MinValue;
        var seen = new Dictionary<string, BagTopicStatistics>();
        foreach (var message in reader.ReadMessages())
        {
            count++;
            seen[message.Topic.Name] = seen.TryGetValue(message.Topic.Name, out var t)
                ? t with { MessageCount = t.MessageCount + 1, EndTime = Math.Max(t.EndTime, message.Timestamp) }
                : new BagTopicStatistics(1, message.Timestamp, message.Timestamp);
            Assert.True(message.Timestamp >= previous, "messages must come out in timestamp order");
            previous = message.Timestamp;
            if (message.Topic.SerializationFormat != "cdr") { notCdr++; continue; }
            if (reader.DecoderFor(message.Topic.Type) is null) { withoutDefinition++; continue; }
            reader.DecodeDynamic(message);
            if (MessageRegistry.IsKnown(message.Topic.Type)) Rosbag2Reader.Decode(message);
            decoded++;
        }
        output.WriteLine($"{relative}: {count} messages, {decoded} decoded, {withoutDefinition} without a definition, {notCdr} not cdr");
        bool filesMissing = reader.Warnings.Any(w => w.Contains("missing"));
        if (reader.Metadata is not null && !filesMissing)
        {
            Assert.Equal(reader.Metadata.MessageCount, count);
            foreach (var topic in reader.Metadata.Topics)
            {
                long stored = reader.Statistics().TryGetValue(topic.Topic.Name, out var s) ? s.MessageCount : 0;
                Assert.Equal(topic.MessageCount, stored);
            }
        }
        Assert.Equal(count, decoded + withoutDefinition + notCdr);
        // Statistics come from indexes (MCAP message indexes, an sqlite3 GROUP BY), not from reading.
        Assert.Equal(seen.OrderBy(p => p.Key), reader.Statistics().OrderBy(p => p.Key));
    }

    public static TheoryData<string, string> BagsAndStorages()
    {
        var data = new TheoryData<string, string>();
        foreach (var bag in RealBags.All())
        {
            data.Add(RealBags.Relative(bag), "mcap");
            data.Add(RealBags.Relative(bag), "sqlite3");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BagsAndStorages))]
    public void Every_bag_converts_to_either_storage_and_reads_back_the_same(string relative, string storage)
    {
        using var temp = new TempDirectory();
        using var source = Rosbag2Reader.Open(SharedData.Path("bags", relative));
        string copy = temp.Combine("copy");
        var result = BagConverter.Convert(source, copy, new BagConvertOptions { Write = new Rosbag2WriterOptions { StorageIdentifier = storage } });
        using var converted = Rosbag2Reader.Open(copy);
        Assert.Equal(
            source.Topics.Select(t => (t.Name, t.Type, t.SerializationFormat, t.TypeDescriptionHash)),
            converted.Topics.Select(t => (t.Name, t.Type, t.SerializationFormat, t.TypeDescriptionHash)));
        Assert.Equal(source.Topics.Select(t => source.DecoderFor(t.Type) is null), converted.Topics.Select(t => converted.DecoderFor(t.Type) is null));
        using var expected = source.ReadMessages().GetEnumerator();
        using var actual = converted.ReadMessages().GetEnumerator();
        long count = 0;
        while (expected.MoveNext())
        {
            Assert.True(actual.MoveNext(), $"the copy ends after {count} messages");
            Assert.Equal((expected.Current.Topic.Name, expected.Current.Timestamp), (actual.Current.Topic.Name, actual.Current.Timestamp));
            Assert.True(expected.Current.Data.Span.SequenceEqual(actual.Current.Data.Span), $"message {count} differs");
            count++;
        }
        Assert.False(actual.MoveNext());
        Assert.Equal(count, result.Messages);
        Assert.Equal(count, converted.Metadata!.MessageCount);
        Assert.DoesNotContain(converted.Warnings, w => !w.Contains("not cdr") && !w.Contains("stored definition"));
    }

    [Fact]
    public void Evo_nav2_turtlebot_mcap_has_29_static_transforms_and_typed_odometry()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        var counts = reader.Statistics();
        Assert.Equal(2639, counts["/odom"].MessageCount);
        Assert.Equal(5422, counts["/tf"].MessageCount);
        Assert.Equal(135, counts["/amcl_pose"].MessageCount);
        var tfStatic = reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/tf_static" })).Single();
        Assert.Equal(29, Rosbag2Reader.Decode<TFMessage>(tfStatic).Transforms.Count);
        var odometry = Rosbag2Reader.Decode<Odometry>(reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/odom" })).First());
        Assert.Equal("odom", odometry.Header.FrameId);
        Assert.Equal(1.0, Math.Sqrt(odometry.Pose.Pose.Orientation.X * odometry.Pose.Pose.Orientation.X + odometry.Pose.Pose.Orientation.Y * odometry.Pose.Pose.Orientation.Y
            + odometry.Pose.Pose.Orientation.Z * odometry.Pose.Pose.Orientation.Z + odometry.Pose.Pose.Orientation.W * odometry.Pose.Pose.Orientation.W), 6);
    }

    [Fact]
    public void Evo_tf_example_sqlite3_has_517_odom_to_base_footprint_transforms()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "evo", "tf_example"));
        var tf = reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/tf" })).Select(Rosbag2Reader.Decode<TFMessage>).ToList();
        Assert.Equal(517, tf.Count);
        Assert.All(tf, m => Assert.Contains(m.Transforms, t => t.Header.FrameId == "odom" && t.ChildFrameId == "base_footprint"));
    }

    [Fact]
    public void Autoware_humble_db3_without_metadata_reads_map_to_base_link_odometry()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "autoware", "bag_ego_trajectory.db3"));
        var odometry = reader.ReadMessages().Select(Rosbag2Reader.Decode<Odometry>).ToList();
        Assert.Equal(2130, odometry.Count);
        Assert.All(odometry, o => Assert.Equal(("map", "base_link"), (o.Header.FrameId, o.ChildFrameId)));
    }

    [Theory]
    [InlineData("test_bag_mcap")]
    [InlineData("test_bag_sqlite3")]
    public void Rosbags_rs_camera_messages_decode_with_the_documented_values(string bag)
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbags-rs", bag));
        var messages = reader.ReadMessages().ToList();
        var info = Rosbag2Reader.Decode<CameraInfo>(messages.First(m => m.Topic.Type == "sensor_msgs/msg/CameraInfo"));
        Assert.Equal("plumb_bob", info.DistortionModel);
        Assert.Equal(525, info.K[0]);
        var image = Rosbag2Reader.Decode<Image>(messages.First(m => m.Topic.Type == "sensor_msgs/msg/Image"));
        Assert.Equal((640u, 480u, "rgb8"), (image.Width, image.Height, image.Encoding));
        // The pixel data is truncated on purpose in this test bag: decoding the pixels must say so.
        var error = Assert.Throws<ImageFormatException>(() => ImageCodecs.DecodeColor(image));
        Assert.Contains("needs 921600 bytes", error.Message);
    }

    [Theory]
    [InlineData("test_bag_mcap")]
    [InlineData("test_bag_sqlite3")]
    public void Rosbags_rs_point_clouds_decode_as_the_bags_own_definition_reads_them_and_write_back_to_the_same_bytes(string bag)
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbags-rs", bag));
        var clouds = reader.ReadMessages().Where(m => m.Topic.Type == PointCloud2.Definition.Name).ToList();
        Assert.Equal(2, clouds.Count);
        foreach (var message in clouds)
        {
            var cloud = Rosbag2Reader.Decode<PointCloud2>(message);
            var fields = reader.DecodeDynamic(message);
            Assert.Equal(fields["width"], cloud.Width);
            Assert.Equal(fields["point_step"], cloud.PointStep);
            Assert.Equal(fields["is_dense"], cloud.IsDense);
            Assert.Equal((byte[])fields["data"]!, cloud.Data);
            var dynamicFields = (IReadOnlyList<object?>)fields["fields"]!;
            Assert.Equal(dynamicFields.Count, cloud.Fields.Count);
            for (int i = 0; i < cloud.Fields.Count; i++)
            {
                var field = (IReadOnlyDictionary<string, object?>)dynamicFields[i]!;
                Assert.Equal((field["name"], field["offset"], field["datatype"], field["count"]),
                    ((object?)cloud.Fields[i].Name, (object?)cloud.Fields[i].Offset, (object?)cloud.Fields[i].Datatype, (object?)cloud.Fields[i].Count));
            }
            output.WriteLine($"{message.Topic.Name}: {cloud.Height}x{cloud.Width}, fields {string.Join(", ", cloud.Fields.Select(f => $"{f.Name}@{f.Offset}:{f.Datatype}x{f.Count}"))}, " +
                             $"point_step {cloud.PointStep}, {cloud.Data.Length} bytes, frame '{cloud.Header.FrameId}'");
            Assert.Equal(message.Data.ToArray(), RosSerializer.Serialize(cloud));
        }
    }

    [Fact]
    public void A_topic_serialized_in_another_format_is_reported_and_not_decoded()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2", "rosbag2_tests", "resources", "mcap", "wrong_rmw_test"));
        Assert.Contains(reader.Warnings, w => w.Contains("'wrong_format'"));
        var message = reader.ReadMessages().First();
        var error = Assert.Throws<NotSupportedException>(() => Rosbag2Reader.Decode(message));
        Assert.Contains("serialized as 'wrong_format'", error.Message);
    }

    [Fact]
    public void Split_bags_come_out_in_one_time_order_across_files()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2", "rosbag2_py", "test", "resources", "mcap", "wbag"));
        Assert.Equal(5, reader.Files.Count);
        var stamps = reader.ReadMessages().Select(m => m.Timestamp).ToList();
        Assert.Equal(6074, stamps.Count);
        Assert.Equal(stamps.Order(), stamps);
    }

    [Fact]
    public void Topic_filter_and_time_range_select_messages()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        var odom = reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/odom" })).ToList();
        long middle = odom[odom.Count / 2].Timestamp;
        var late = reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/odom" }, StartTime: middle)).ToList();
        Assert.Equal(odom.Count(m => m.Timestamp >= middle), late.Count);
        Assert.All(late, m => Assert.Equal("/odom", m.Topic.Name));
    }

    [Fact]
    public void Message_compressed_bag_decompresses_each_message_and_reports_missing_split_files()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2-history", "message_compressed"));
        Assert.Equal(3, reader.Warnings.Count(w => w.Contains("listed in metadata.yaml but missing")));
        var strings = reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/topic" })).Select(Rosbag2Reader.Decode<StringMessage>).ToList();
        Assert.NotEmpty(strings);
        Assert.All(strings, s => Assert.StartsWith("Hello, world! ", s.Data));
    }

    [Fact]
    public void File_compressed_bag_opens_through_a_decompressed_copy()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2-history", "file_compressed"));
        Assert.Equal("FILE", reader.CompressionMode);
        Assert.Equal(["/parameter_events", "/rosout"], reader.Topics.Select(t => t.Name));
    }

    [Fact]
    public void The_2018_version_1_bag_without_serialization_format_reads()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2-history", "v1", "test.db3"));
        Assert.Equal(7, reader.ReadMessages().Count());
        Assert.All(reader.Topics, t => Assert.Equal("cdr", t.SerializationFormat));
    }

    [Theory]
    [InlineData("rosbag2/rosbag2_tests/resources/sqlite3/cdr_test", "cdr_test_0.db3")]
    [InlineData("rosbag2/rosbag2_tests/resources/mcap/bag_with_topics_and_service_events", "bag_with_topics_and_service_events.mcap")]
    public void A_bare_storage_file_carries_the_metadata_rosbag2_embedded_in_it(string directory, string file)
    {
        using var withYaml = Rosbag2Reader.Open(SharedData.Path("bags", directory));
        using var bare = Rosbag2Reader.Open(SharedData.Path("bags", directory, file));
        Assert.False(withYaml.MetadataIsEmbedded);
        Assert.True(bare.MetadataIsEmbedded);
        var expected = withYaml.Metadata!;
        var embedded = bare.Metadata!;
        Assert.Equal(expected.MessageCount, embedded.MessageCount);
        Assert.Equal(expected.StartingTime, embedded.StartingTime);
        Assert.Equal(expected.Duration, embedded.Duration);
        Assert.Equal(expected.Topics.Select(t => (t.Topic.Name, t.Topic.Type, t.MessageCount)).Order(),
            embedded.Topics.Select(t => (t.Topic.Name, t.Topic.Type, t.MessageCount)).Order());
    }

    [Fact]
    public void Rosbag2s_mcap_metadata_record_gives_the_distro_of_a_bare_file()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2", "rosbag2_cpp", "test", "rosbag2_cpp", "bags", "only_topics.mcap"));
        Assert.True(reader.MetadataIsEmbedded);
        Assert.Equal("rolling", reader.Metadata!.RosDistro);
        Assert.Equal(8, reader.Metadata.Version);
        Assert.Equal(7, reader.Metadata.Topics.Single(t => t.Topic.Name == "/parameter_events").MessageCount);
    }

    [Fact]
    public void A_stored_definition_that_names_undefined_types_is_reported_not_thrown()
    {
        // rosbag2_py's talker test bag stores "Parameter[] new_parameters" alone for ParameterEvent.
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "rosbag2", "rosbag2_py", "test", "resources", "sqlite3", "talker"));
        Assert.Null(reader.DecoderFor("rcl_interfaces/msg/ParameterEvent"));
        Assert.Contains(reader.Warnings, w => w.Contains("stored definition of rcl_interfaces/msg/ParameterEvent") && w.Contains("Parameter"));
        Assert.NotNull(reader.DecoderFor("std_msgs/msg/String"));
    }

    [Fact]
    public void A_missing_bag_is_a_clear_error()
    {
        var error = Assert.Throws<BagFormatException>(() => Rosbag2Reader.Open("/nonexistent/bag"));
        Assert.Contains("no such bag", error.Message);
    }
}
