using Mosaic.Ros.Bags;
using Mosaic.Ros.Mcap;
using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Tests;

public class BagWriterTests
{
    private static List<(string Topic, long Time, byte[] Data)> RealMessages()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        return reader.ReadMessages().Take(3000).Select(m => (m.Topic.Name, m.Timestamp, m.Data.ToArray())).ToList();
    }

    /// <summary>Writes <paramref name="messages"/> (from <see cref="RealMessages"/>) as the bag <paramref name="bag"/>.</summary>
    private static void WriteBag(string bag, Rosbag2WriterOptions options, List<(string Topic, long Time, byte[] Data)> messages)
    {
        using var writer = Rosbag2Writer.Create(bag, options);
        writer.AddTopic<Odometry>("/odom");
        writer.AddTopic<TFMessage>("/tf");
        writer.AddTopic<TFMessage>("/tf_static");
        writer.AddTopic<PoseWithCovarianceStamped>("/amcl_pose");
        foreach (var (topic, time, data) in messages) writer.Write(topic, time, data);
    }

    [Theory]
    [InlineData("mcap", "zstd")]
    [InlineData("mcap", "lz4")]
    [InlineData("mcap", "")]
    [InlineData("sqlite3", "")]
    public void A_written_bag_reads_back_identically(string storage, string compression)
    {
        using var temp = new TempDirectory();
        var messages = RealMessages();
        string bag = temp.Combine("copy");
        WriteBag(bag, new Rosbag2WriterOptions { StorageIdentifier = storage, McapCompression = compression }, messages);
        using var reader = Rosbag2Reader.Open(bag);
        Assert.Equal(9, reader.Metadata!.Version);
        Assert.Equal(messages.Count, reader.Metadata.MessageCount);
        var read = reader.ReadMessages().Select(m => (m.Topic.Name, m.Timestamp, m.Data.ToArray())).ToList();
        Assert.Equal(messages.Count, read.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            Assert.Equal(messages[i].Topic, read[i].Name);
            Assert.Equal(messages[i].Time, read[i].Timestamp);
            Assert.Equal(messages[i].Data, read[i].Item3);
        }
        Assert.Equal(Odometry.Definition.FullText(), reader.Definitions.Single(d => d.Type == "nav_msgs/msg/Odometry").Text);
        Assert.Empty(reader.Warnings);
    }

    [Theory]
    [InlineData("mcap")]
    [InlineData("sqlite3")]
    public void A_bag_split_by_size_reads_back_identically_and_each_file_stands_alone(string storage)
    {
        using var temp = new TempDirectory();
        var messages = RealMessages();
        string bag = temp.Combine("split");
        var options = new Rosbag2WriterOptions { StorageIdentifier = storage, McapChunkSize = 16 * 1024, MaxFileSize = 96 * 1024 };
        WriteBag(bag, options, messages);
        using var reader = Rosbag2Reader.Open(bag);
        var metadata = reader.Metadata!;
        Assert.InRange(reader.Files.Count, 3, 100);
        Assert.Equal(reader.Files.Select(Path.GetFileName), metadata.RelativeFilePaths);
        Assert.Equal(messages.Select(m => (m.Topic, m.Time)), reader.ReadMessages().Select(m => (m.Topic.Name, m.Timestamp)));
        Assert.Equal(messages.Select(m => m.Data), reader.ReadMessages().Select(m => m.Data.ToArray()));
        Assert.Equal(messages.Count, metadata.Files!.Sum(f => f.MessageCount));
        foreach (var file in metadata.Files!)
        {
            using var alone = Rosbag2Reader.Open(Path.Combine(bag, file.Path));
            var times = alone.ReadMessages().Select(m => m.Timestamp).ToList();
            Assert.Equal(file.MessageCount, times.Count);
            Assert.Equal(file.StartingTime, times[0]);
            Assert.Equal(file.StartingTime + file.Duration, times[^1]);
            Assert.Equal(4, alone.Topics.Count);
            Assert.True(alone.MetadataIsEmbedded);
            Assert.Equal(file, alone.Metadata!.Files![^1]);
        }
        Assert.All(metadata.Files!.SkipLast(1), f => Assert.True(new FileInfo(Path.Combine(bag, f.Path)).Length >= 96 * 1024 / 4));
    }

    [Theory]
    [InlineData("mcap")]
    [InlineData("sqlite3")]
    public void A_bag_of_camera_images_splits_near_the_size_asked_for(string storage)
    {
        // Real JPEG frames (about 100 KB each) from the committed redkitchen sample: a file may pass the limit by
        // the message that crosses it and the file's own overhead, not by a transaction of up to 1000 images.
        using var temp = new TempDirectory();
        using var sample = Rosbag2Reader.Open(Path.Combine(SharedData.RepositoryRoot, "tests", "data", "redkitchen-sample"));
        var images = sample.ReadMessages(new BagReadOptions(new HashSet<string> { "/camera/color/image_raw/compressed" })).Take(40).ToList();
        const long limit = 1 << 20;
        string bag = temp.Combine("images");
        using (var writer = Rosbag2Writer.Create(bag, new Rosbag2WriterOptions { StorageIdentifier = storage, MaxFileSize = limit }))
        {
            writer.AddTopic<CompressedImage>(images[0].Topic.Name);
            foreach (var image in images)
                writer.Write(image.Topic.Name, image.Timestamp, image.Data.Span);
        }

        using var reader = Rosbag2Reader.Open(bag);
        long total = images.Sum(i => (long)i.Data.Length), largest = images.Max(i => (long)i.Data.Length);
        Assert.InRange(reader.Files.Count, (int)(total / (limit + largest + (64 << 10))), (int)(total / limit) + 1);
        Assert.All(reader.Files, f => Assert.True(new FileInfo(f).Length <= limit + largest + (64 << 10), $"{Path.GetFileName(f)}: {new FileInfo(f).Length} bytes"));
        Assert.Equal(images.Count, reader.ReadMessages().Count());
    }

    [Fact]
    public void A_bag_split_by_duration_keeps_each_file_within_it()
    {
        using var temp = new TempDirectory();
        var messages = RealMessages();
        string bag = temp.Combine("split");
        WriteBag(bag, new Rosbag2WriterOptions { MaxFileDuration = TimeSpan.FromSeconds(10) }, messages);
        using var reader = Rosbag2Reader.Open(bag);
        var files = reader.Metadata!.Files!;
        double seconds = (messages[^1].Time - messages[0].Time) * 1e-9;
        Assert.InRange(files.Count, (int)(seconds / 10), (int)(seconds / 10) + 2);
        Assert.All(files, f => Assert.True(f.Duration < 10_000_000_000L, $"{f.Path} spans {f.Duration} ns"));
        Assert.Equal(messages.Count, reader.ReadMessages().Count());
    }

    [Fact]
    public void Without_metadata_yaml_the_copy_embedded_in_the_files_is_used()
    {
        using var temp = new TempDirectory();
        string bag = temp.Combine("lost");
        var messages = RealMessages();
        WriteBag(bag, new Rosbag2WriterOptions { MaxFileSize = 16 * 1024 }, messages);
        var written = BagMetadata.Load(Path.Combine(bag, BagMetadata.FileName));
        File.Delete(Path.Combine(bag, BagMetadata.FileName));
        using var reader = Rosbag2Reader.Open(bag);
        Assert.True(reader.Files.Count > 10, $"{reader.Files.Count} files: too few to check that name_10 follows name_9");
        Assert.Equal(written.RelativeFilePaths, reader.Files.Select(Path.GetFileName));
        Assert.True(reader.MetadataIsEmbedded);
        Assert.Equal(written.ToYaml(embedded: true), reader.Metadata!.ToYaml(embedded: true));
        Assert.Contains(reader.Warnings, w => w.Contains("no metadata.yaml"));
    }

    [Fact]
    public void Invalid_writer_options_are_refused_before_anything_is_created()
    {
        using var temp = new TempDirectory();
        string bag = temp.Combine("never");
        Assert.Contains("MaxFileSize", Assert.Throws<ArgumentException>(() => Rosbag2Writer.Create(bag, new Rosbag2WriterOptions { MaxFileSize = -1 })).Message);
        Assert.Contains("'hdf5'", Assert.Throws<ArgumentException>(() => Rosbag2Writer.Create(bag, new Rosbag2WriterOptions { StorageIdentifier = "hdf5" })).Message);
        Assert.False(Directory.Exists(bag));
    }

    [Fact]
    public void A_sqlite3_bag_still_being_recorded_reads_its_committed_messages_and_is_left_untouched()
    {
        using var temp = new TempDirectory();
        string bag = temp.Combine("live");
        using var writer = Rosbag2Writer.Create(bag, new Rosbag2WriterOptions { StorageIdentifier = "sqlite3" });
        writer.AddTopic<StringMessage>("/chatter");
        // The writer commits every 1000 messages; the reader sees what is committed, each time it reads.
        for (int i = 0; i < 1500; i++) writer.Write("/chatter", i, new StringMessage(new string('x', i % 300)));
        using var reader = Rosbag2Reader.Open(writer.FilePath);
        Assert.Equal(1000, reader.ReadMessages().Count());
        for (int i = 1500; i < 2500; i++) writer.Write("/chatter", i, new StringMessage(new string('y', i % 300)));
        var read = reader.ReadMessages().ToList();
        Assert.Equal(2000, read.Count);
        Assert.Equal(new string('y', 1999 % 300), RosSerializer.Deserialize<StringMessage>(read[^1].Data.Span).Data);
        Assert.Equal(["live_0.db3"], Directory.GetFiles(bag).Select(Path.GetFileName));
    }

    [Fact]
    public void A_damaged_summary_falls_back_to_a_scan_with_a_warning_and_loses_nothing()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("damaged.mcap");
        File.Copy(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"), path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^28] ^= 0xFF; // the footer's summary_start
        File.WriteAllBytes(path, bytes);
        using var reader = McapReader.Open(path);
        Assert.False(reader.UsedSummary);
        Assert.NotEmpty(reader.Warnings);
        Assert.Equal(8197, reader.ReadMessages().Count());
    }

    [Fact]
    public void A_truncated_recording_reads_up_to_the_damage_with_a_warning()
    {
        using var temp = new TempDirectory();
        string file = temp.Combine("long.mcap");
        using (var writer = McapWriter.Create(file, new McapWriterOptions { Compression = "zstd", ChunkSize = 64 * 1024 }))
        {
            ushort schema = writer.AddSchema(StringMessage.Definition.Name, "ros2msg", System.Text.Encoding.UTF8.GetBytes(StringMessage.Definition.FullText()));
            ushort channel = writer.AddChannel(schema, "/chatter", "cdr");
            for (int i = 0; i < 5000; i++) writer.WriteMessage(channel, (uint)i, 1000UL * (ulong)i, 0, RosSerializer.Serialize(new StringMessage(new string('x', 500) + i)));
        }
        byte[] bytes = File.ReadAllBytes(file);
        string cut = temp.Combine("cut.mcap");
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length * 2 / 3).ToArray());
        using var reader = Rosbag2Reader.Open(cut);
        Assert.Contains(reader.Warnings, w => w.Contains("truncated"));
        int count = reader.ReadMessages().Count();
        Assert.InRange(count, 1000, 4999);
    }

    [Fact]
    public void Writing_over_an_existing_bag_is_refused()
    {
        using var temp = new TempDirectory();
        var error = Assert.Throws<IOException>(() => Rosbag2Writer.Create(temp.Path));
        Assert.Contains("already exists", error.Message);
    }
}
