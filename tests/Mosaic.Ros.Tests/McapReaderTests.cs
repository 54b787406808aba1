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
}
