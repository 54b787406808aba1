using Mosaic.Ros.Mcap;

namespace Mosaic.Ros.Tests;

public class McapReaderTests
{
    [Fact]
    public void Evo_nav2_turtlebot_has_the_documented_topics_and_counts()
    {
        using var reader = McapReader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        var counts = reader.ReadMessages().GroupBy(m => reader.Channels[m.ChannelId].Topic).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2639, counts["/odom"]);
        Assert.Equal(5422, counts["/tf"]);
        Assert.Equal(1, counts["/tf_static"]);
        Assert.Equal(135, counts["/amcl_pose"]);
        Assert.True(reader.UsedSummary, string.Join("; ", reader.Warnings));
        Assert.Equal("ros2", reader.Profile);
    }

    [Fact]
    public void Counts_come_from_the_message_indexes_and_match_reading_every_message()
    {
        using var reader = McapReader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        var expected = reader.ReadMessages().GroupBy(m => m.ChannelId)
            .ToDictionary(g => g.Key, g => new McapChannelCount((ulong)g.Count(), g.Min(m => m.LogTime), g.Max(m => m.LogTime)));
        Assert.Equal(expected.OrderBy(p => p.Key), reader.CountMessages().OrderBy(p => p.Key));
        Assert.Empty(reader.Warnings);
    }

    [Fact]
    public void Damaged_message_indexes_are_counted_by_reading_their_chunk_with_a_warning()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("damaged_index.mcap");
        byte[] bytes = File.ReadAllBytes(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        // Walk the records from the header to the first chunk; its message index records follow it.
        long offset = McapReader.Magic.Length;
        while (bytes[offset] != (byte)McapOpcode.Chunk)
        {
            offset += 9 + (long)BitConverter.ToUInt64(bytes, (int)offset + 1);
        }
        offset += 9 + (long)BitConverter.ToUInt64(bytes, (int)offset + 1);
        Assert.Equal((byte)McapOpcode.MessageIndex, bytes[offset]);
        bytes[offset] = 0x7F;
        File.WriteAllBytes(path, bytes);
        using var reader = McapReader.Open(path);
        using var original = McapReader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        Assert.Equal(original.CountMessages().OrderBy(p => p.Key), reader.CountMessages().OrderBy(p => p.Key));
        Assert.Contains(reader.Warnings, w => w.Contains("message indexes") && w.Contains("damaged"));
    }
}
