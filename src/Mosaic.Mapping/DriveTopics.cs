using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;

namespace Mosaic.Mapping;

/// <summary>What a topic of a recorded drive carries, which decides the message types it may have.</summary>
public enum TopicRole
{
    /// <summary>Camera images: sensor_msgs/Image or CompressedImage (compressedDepth included).</summary>
    Image,

    /// <summary>sensor_msgs/CameraInfo.</summary>
    CameraInfo,

    /// <summary>Poses: nav_msgs/Odometry, geometry_msgs/PoseStamped or PoseWithCovarianceStamped.</summary>
    Pose,

    /// <summary>nav_msgs/Odometry, the one type the node subscribes odometry as.</summary>
    Odometry,

    /// <summary>tf2_msgs/TFMessage (/tf, /tf_static).</summary>
    Transforms,
}

/// <summary>
/// Checks the topics an offline tool is set to read against a bag before reading it: each must be there
/// with a type the tool decodes. When one is not, the error names the setting that chose it and the bag's
/// topics that would fit, since a drive recorded on another robot almost always names its topics differently.
/// </summary>
public static class DriveTopics
{
    private const int MaxListed = 20;

    /// <summary>The message types (<c>pkg/msg/Type</c>) a topic of <paramref name="role"/> may have.</summary>
    public static IReadOnlyList<string> TypesOf(TopicRole role) => role switch
    {
        TopicRole.Image => ["sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage"],
        TopicRole.CameraInfo => ["sensor_msgs/msg/CameraInfo"],
        TopicRole.Pose => ["nav_msgs/msg/Odometry", "geometry_msgs/msg/PoseStamped", "geometry_msgs/msg/PoseWithCovarianceStamped"],
        TopicRole.Odometry => ["nav_msgs/msg/Odometry"],
        TopicRole.Transforms => ["tf2_msgs/msg/TFMessage"],
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>
    /// Throws unless <paramref name="topic"/> is among <paramref name="bagTopics"/> with a type of
    /// <paramref name="role"/>. <paramref name="what"/> says what it is ("depth image"); <paramref name="setting"/>
    /// is the parameter (<c>topics.depth_image</c>) or option (<c>--gt-topic</c>) that named it.
    /// </summary>
    /// <exception cref="MappingInputException">The topic is missing or has another type.</exception>
    public static void Require(string bagPath, IReadOnlyList<BagTopic> bagTopics, string what, string topic, TopicRole role, string setting)
    {
        var types = TypesOf(role);
        var found = bagTopics.FirstOrDefault(t => t.Name == topic);
        if (found is not null && types.Contains(MessageDefinition.NormalizeName(found.Type)))
            return;
        string problem = found is null
            ? $"no {what} topic '{topic}' ({setting})"
            : $"{what} topic '{topic}' ({setting}) has type {found.Type}, not {Either(types)}";
        throw new MappingInputException($"{bagPath}: {problem}; {Alternatives(bagTopics, types, setting)}");
    }

    /// <summary>Like <see cref="Require"/>, but a topic the bag lacks is fine; one it has must have a type of <paramref name="role"/>.</summary>
    /// <exception cref="MappingInputException">The topic is there with another type.</exception>
    public static void RequireTypeIfPresent(string bagPath, IReadOnlyList<BagTopic> bagTopics, string what, string topic, TopicRole role, string setting)
    {
        if (bagTopics.Any(t => t.Name == topic))
            Require(bagPath, bagTopics, what, topic, role, setting);
    }

    private static string Alternatives(IReadOnlyList<BagTopic> bagTopics, IReadOnlyList<string> types, string setting)
    {
        var fitting = bagTopics.Where(t => types.Contains(MessageDefinition.NormalizeName(t.Type))).ToList();
        if (fitting.Count == 0)
            return $"the bag has no topic of type {Either(types)} (its topics: {List(bagTopics.Select(t => t.Name))})";
        string how = setting.StartsWith("--", StringComparison.Ordinal)
            ? $"{setting} TOPIC"
            : $"-p {setting}:=TOPIC or in a parameter file";
        return $"topics of that kind in the bag: {List(fitting.Select(t => $"{t.Name} ({MessageDefinition.ShortName(MessageDefinition.NormalizeName(t.Type))})"))}; choose one with {how}";
    }

    private static string Either(IReadOnlyList<string> types) =>
        types.Count == 1 ? types[0] : string.Join(", ", types.Take(types.Count - 1)) + " or " + types[^1];

    private static string List(IEnumerable<string> names)
    {
        var all = names.ToList();
        return all.Count <= MaxListed
            ? string.Join(", ", all)
            : string.Join(", ", all.Take(MaxListed)) + $" and {all.Count - MaxListed} more";
    }
}
