using Mosaic.Localization.Parameters;
using Mosaic.Evaluation.Tests;
using Mosaic.Node.Hosting;
using YamlDotNet.RepresentationModel;

namespace Mosaic.Node.Tests;

/// <summary>
/// config/mosaic.rviz (RViz cannot run here) against the node's defaults: every topic it shows is one the
/// node publishes or subscribes to under its default names, with the durability it is published with
/// (the recorded QoS of the cloud and the pose are checked in <see cref="ReplayTests"/>).
/// </summary>
public class RvizConfigTests
{
    private static Dictionary<string, string> DisplayTopics(out List<string> tools)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Sample.Root, "config", "mosaic.rviz")))
            yaml.Load(reader);
        var manager = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["Visualization Manager"];
        string Value(YamlNode display, string key) => ((YamlScalarNode)((YamlMappingNode)display)[key]).Value!;
        var topics = new Dictionary<string, string>();
        foreach (var display in (YamlSequenceNode)manager["Displays"])
        {
            if (((YamlMappingNode)display).Children.ContainsKey("Topic"))
                topics[Value(((YamlMappingNode)display)["Topic"], "Value")] = Value(((YamlMappingNode)display)["Topic"], "Durability Policy");
        }
        tools = ((YamlSequenceNode)manager["Tools"]).Where(t => ((YamlMappingNode)t).Children.ContainsKey("Topic"))
            .Select(t => Value(((YamlMappingNode)t)["Topic"], "Value")).ToList();
        return topics;
    }

    [Fact]
    public void The_rviz_view_shows_the_nodes_default_topics_with_the_durability_they_are_published_with()
    {
        var topics = new LocalizationParameters().Topics;
        var names = new NodeNames(NodeHost.DefaultNodeName);
        var shown = DisplayTopics(out var tools);

        Assert.Equal(
            new Dictionary<string, string>
            {
                [names.Resolve(topics.MapCloud)] = "Transient Local",
                [names.Resolve(topics.Pose)] = "Transient Local",
                [names.Resolve(topics.DebugQueryLabels)] = "Volatile",
                [names.Resolve(topics.DebugRenderedLabels)] = "Volatile",
            },
            shown);
        Assert.Equal([names.Resolve(topics.InitialPose)], tools);
    }
}
