using Mosaic.Ros.Cdr;
using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Tests;

public class CdrTests
{
    // foxglove/cdr's TFMessage test vector (ros2-conventions.md §5).
    private const string TfMessageHex =
        "00010000" + "01000000" + "cce0d158" + "f08cf906" + "0a000000" + "626173655f6c696e6b00" + "0000" +
        "06000000" + "726164617200" + "0000" +
        "ae47e17a14ae0e40" + "0000000000000000" + "0000000000000000" +
        "0000000000000000" + "0000000000000000" + "0000000000000000" + "000000000000f03f";

    [Fact]
    public void Reads_the_reference_TFMessage_bytes()
    {
        var message = RosSerializer.Deserialize<TFMessage>(Convert.FromHexString(TfMessageHex));
        var transform = Assert.Single(message.Transforms);
        Assert.Equal(1490149580, transform.Header.Stamp.Sec);
        Assert.Equal(117017840u, transform.Header.Stamp.Nanosec);
        Assert.Equal("base_link", transform.Header.FrameId);
        Assert.Equal("radar", transform.ChildFrameId);
        Assert.Equal(3.835, transform.Transform.Translation.X);
        Assert.Equal(1.0, transform.Transform.Rotation.W);
    }

    [Fact]
    public void Writes_the_reference_TFMessage_bytes_exactly()
    {
        var message = RosSerializer.Deserialize<TFMessage>(Convert.FromHexString(TfMessageHex));
        Assert.Equal(TfMessageHex, Convert.ToHexStringLower(RosSerializer.Serialize(message)));
    }

    public static TheoryData<IRosMessage, bool> Samples()
    {
        var header = new Header(new RosTime(12, 345), "camera_color_optical_frame");
        var covariance = Enumerable.Range(0, 36).Select(i => i * 0.5).ToArray();
        var pose = new Pose(new Point(1, -2, 3.5), new Quaternion(0.1, 0.2, 0.3, 0.9));
        var messages = new IRosMessage[]
        {
            new StringMessage("héllo"),
            new Image(header, 2, 3, "rgb8", false, 9, Enumerable.Range(0, 18).Select(i => (byte)i).ToArray()),
            new CompressedImage(header, "jpeg", [0xFF, 0xD8, 0xFF, 1, 2]),
            new CameraInfo(header, 480, 640, "plumb_bob", [0.1, -0.2, 0, 0, 0.01], [525, 0, 320, 0, 525, 240, 0, 0, 1],
                [1, 0, 0, 0, 1, 0, 0, 0, 1], [525, 0, 320, 0, 0, 525, 240, 0, 0, 0, 1, 0], 1, 2, new RegionOfInterest(1, 2, 3, 4, true)),
            new Odometry(header, "base_link", new PoseWithCovariance(pose, covariance), new TwistWithCovariance(new Twist(new Vector3(1, 2, 3), new Vector3(4, 5, 6)), covariance)),
            new NavPath(header, [new PoseStamped(header, pose), new PoseStamped(header with { FrameId = "" }, pose)]),
            new PoseWithCovarianceStamped(header, new PoseWithCovariance(pose, covariance)),
            new TFMessage([new TransformStamped(header, "a", new Transform(new Vector3(1, 2, 3), Quaternion.Identity))]),
            new DiagnosticArray(header, [new DiagnosticStatus(DiagnosticStatus.Warn, "mosaic", "lost", "cam0", [new KeyValue("loss", "0.5")])]),
            new PointCloud2(header with { FrameId = "map" }, 1, 2, [new PointField("x", 0, PointField.Float32, 1), new PointField("label", 4, PointField.UInt32, 1)],
                false, 8, 16, Enumerable.Range(0, 16).Select(i => (byte)(i * 3)).ToArray(), true),
        };
        var data = new TheoryData<IRosMessage, bool>();
        foreach (var message in messages)
        {
            data.Add(message, true);
            data.Add(message, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_type_round_trips_in_both_byte_orders(IRosMessage message, bool littleEndian)
    {
        byte[] bytes = RosSerializer.Serialize(message, littleEndian);
        Assert.Equal(littleEndian ? 1 : 0, bytes[1]);
        var decoded = (IRosMessage)MessageRegistry.Decode(TypeName(message), bytes);
        Assert.Equal(RosSerializer.Serialize(message, littleEndian), RosSerializer.Serialize(decoded, littleEndian));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_dynamic_decoder_reads_what_the_typed_writer_wrote(IRosMessage message, bool littleEndian)
    {
        string type = TypeName(message);
        var decoder = DynamicDecoder.Parse(type, MessageRegistry.FindDefinition(type)!.FullText());
        var fields = decoder.Decode(RosSerializer.Serialize(message, littleEndian));
        Assert.NotEmpty(fields);
        if (message is Odometry odometry)
        {
            var pose = (IReadOnlyDictionary<string, object?>)((IReadOnlyDictionary<string, object?>)fields["pose"]!)["pose"]!;
            var position = (IReadOnlyDictionary<string, object?>)pose["position"]!;
            Assert.Equal(odometry.Pose.Pose.Position.Z, position["z"]);
            Assert.Equal("base_link", fields["child_frame_id"]);
        }
    }

    [Fact]
    public void A_string_length_larger_than_the_buffer_is_an_error_not_an_allocation()
    {
        var bytes = RosSerializer.Serialize(new StringMessage("abc"));
        bytes[4] = 0xFF; bytes[5] = 0xFF; bytes[6] = 0xFF; bytes[7] = 0x7F;
        var error = Assert.Throws<CdrException>(() => RosSerializer.Deserialize<StringMessage>(bytes));
        Assert.Contains("exceeds", error.Message);
        Assert.Equal(4, error.Offset);
    }

    [Fact]
    public void A_sequence_count_larger_than_the_buffer_is_an_error()
    {
        var bytes = RosSerializer.Serialize(new TFMessage([]));
        bytes[4] = 0x00; bytes[5] = 0x00; bytes[6] = 0x00; bytes[7] = 0x10;
        var error = Assert.Throws<CdrException>(() => RosSerializer.Deserialize<TFMessage>(bytes));
        Assert.Contains("sequence of 268435456 elements", error.Message);
    }

    [Fact]
    public void A_wstring_is_a_count_of_UTF16_units_each_widened_to_four_bytes()
    {
        // example_interfaces/WString "hé€" as Fast DDS and Cyclone DDS write it: count 3, no terminator.
        var bytes = Convert.FromHexString("00010000" + "03000000" + "68000000" + "e9000000" + "ac200000");
        var decoder = DynamicDecoder.Parse("example_interfaces/msg/WString", "wstring data\n");
        Assert.Equal("hé€", decoder.Decode(bytes)["data"]);

        var writer = new CdrWriter();
        writer.WriteWString("hé€");
        Assert.Equal(bytes, writer.ToArray());
    }

    [Fact]
    public void Wstrings_outside_the_basic_plane_and_in_sequences_round_trip()
    {
        var writer = new CdrWriter(littleEndian: false);
        writer.WriteSequenceLength(2);
        writer.WriteWString("a\U0001F600");
        writer.WriteWString("");
        writer.WriteByte(7);
        var decoded = DynamicDecoder.Parse("pkg/msg/W", "wstring[] names\nuint8 tail\n").Decode(writer.ToArray());
        Assert.Equal(new object?[] { "a\U0001F600", "" }, (List<object?>)decoded["names"]!);
        Assert.Equal((byte)7, decoded["tail"]);
    }

    [Fact]
    public void A_wstring_count_beyond_the_buffer_or_a_unit_beyond_Unicode_is_an_error()
    {
        var decoder = DynamicDecoder.Parse("example_interfaces/msg/WString", "wstring data\n");
        var tooLong = Convert.FromHexString("00010000" + "00000010" + "68000000");
        Assert.Contains("sequence of 268435456", Assert.Throws<CdrException>(() => decoder.Decode(tooLong)).Message);
        var notUnicode = Convert.FromHexString("00010000" + "01000000" + "00001100");
        var error = Assert.Throws<CdrException>(() => decoder.Decode(notUnicode));
        Assert.Contains("0x110000", error.Message);
        Assert.Equal(8, error.Offset);
    }

    [Fact]
    public void A_wchar_field_parses_but_does_not_decode_because_its_size_depends_on_the_writer()
    {
        var decoder = DynamicDecoder.Parse("test_msgs/msg/W", "wchar letter\n");
        var error = Assert.Throws<NotSupportedException>(() => decoder.Decode(Convert.FromHexString("0001000041000000")));
        Assert.Contains("Cyclone DDS", error.Message);
    }

    [Fact]
    public void Every_truncation_of_a_message_fails_cleanly()
    {
        var bytes = RosSerializer.Serialize(new CameraInfo(new Header(new RosTime(1, 2), "cam"), 480, 640, "plumb_bob", [0, 0, 0, 0, 0],
            new double[9], new double[9], new double[12], 0, 0, default));
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.ThrowsAny<CdrException>(() => RosSerializer.Deserialize<CameraInfo>(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Definitions_follow_rosbag2s_layout_for_nested_types()
    {
        string text = Odometry.Definition.FullText();
        Assert.StartsWith("std_msgs/Header header\n", text);
        Assert.Contains("\n" + new string('=', 80) + "\nMSG: geometry_msgs/PoseWithCovariance\n", text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "MSG: geometry_msgs/Vector3\n"));
    }

    private static string TypeName(IRosMessage message) => message switch
    {
        StringMessage => StringMessage.Definition.Name,
        Image => Image.Definition.Name,
        CompressedImage => CompressedImage.Definition.Name,
        CameraInfo => CameraInfo.Definition.Name,
        Odometry => Odometry.Definition.Name,
        NavPath => NavPath.Definition.Name,
        PoseWithCovarianceStamped => PoseWithCovarianceStamped.Definition.Name,
        TFMessage => TFMessage.Definition.Name,
        DiagnosticArray => DiagnosticArray.Definition.Name,
        PointCloud2 => PointCloud2.Definition.Name,
        _ => throw new ArgumentException(message.GetType().Name),
    };
}
