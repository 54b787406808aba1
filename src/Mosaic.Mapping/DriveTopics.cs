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

/// <summary>A camera topic of a bag as its first message shows it (<see cref="DriveTopics.Cameras"/>).</summary>
/// <param name="Topic">The topic.</param>
/// <param name="FrameId">The header's frame_id (empty when the message could not be read).</param>
/// <param name="Description">Size and encoding or format; for camera_info also the intrinsics and distortion.</param>
public sealed record CameraTopic(string Topic, string FrameId, string Description);

/// <summary>
/// A recorded drive's topics as the offline tools need them. <see cref="Require"/> checks a topic a tool is
/// set to read against the bag before reading it: it must be there with a type the tool decodes, and when it
/// is not, the error names the setting that chose it and the bag's topics that would fit, since a drive
/// recorded on another robot almost always names its topics differently. <see cref="Cameras"/> describes the
/// bag's camera topics for choosing those settings.
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

    /// <summary>
    /// The bag's camera topics (images and camera_info), each described by its first message: frame, size,
    /// encoding or format, and for camera_info the intrinsics; what a user needs to set topics and frames.
    /// An image that cannot be decoded is described by the reason.
    /// </summary>
    public static IReadOnlyList<CameraTopic> Cameras(Rosbag2Reader bag)
    {
        var images = TypesOf(TopicRole.Image);
        var cameraTopics = bag.Topics.Where(t => images.Contains(MessageDefinition.NormalizeName(t.Type)) || IsCameraInfo(t)).Select(t => t.Name).ToHashSet();
        if (cameraTopics.Count == 0)
            return [];
        var found = new Dictionary<string, CameraTopic>();
        foreach (var message in bag.ReadMessages(new BagReadOptions(cameraTopics)))
        {
            if (found.ContainsKey(message.Topic.Name))
                continue;
            found[message.Topic.Name] = Describe(message);
            if (found.Count == cameraTopics.Count)
                break;
        }
        return [.. found.Values.OrderBy(c => c.Topic, StringComparer.Ordinal)];
    }

    private static bool IsCameraInfo(BagTopic topic) => TypesOf(TopicRole.CameraInfo).Contains(MessageDefinition.NormalizeName(topic.Type));

    private static CameraTopic Describe(BagMessage message)
    {
        string topic = message.Topic.Name, frame = "";
        try
        {
            if (IsCameraInfo(message.Topic))
            {
                var info = Rosbag2Reader.Decode<CameraInfo>(message);
                string intrinsics = info.K.Length == 9
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"fx {info.K[0]:0.###} fy {info.K[4]:0.###} cx {info.K[2]:0.###} cy {info.K[5]:0.###}")
                    : "no K";
                string distortion = info.D.All(d => d == 0) ? "no distortion" : $"{info.DistortionModel} {info.D.Length} coefficients";
                return new CameraTopic(topic, info.Header.FrameId, $"camera_info {info.Width}x{info.Height}, {intrinsics}, {distortion}");
            }
            (_, frame) = DriveMessages.HeaderOf(message);
            string encoding;
            bool depth;
            if (message.Topic.Type.EndsWith("CompressedImage", StringComparison.Ordinal))
            {
                encoding = $"'{Rosbag2Reader.Decode<CompressedImage>(message).Format}'";
                depth = encoding.Contains("compressedDepth", StringComparison.Ordinal);
            }
            else
            {
                encoding = Rosbag2Reader.Decode<Ros.Messages.Image>(message).Encoding;
                depth = encoding is "16UC1" or "32FC1";
            }
            // Decoding the whole image is what tells a truncated or unknown one from a usable one.
            var (width, height) = depth ? Size(DriveMessages.DecodeDepth(message)) : Size(DriveMessages.DecodeColor(message));
            return new CameraTopic(topic, frame, $"{width}x{height} {encoding}");
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            return new CameraTopic(topic, frame, $"undecodable: {e.Message}");
        }
    }

    private static (int Width, int Height) Size(Mosaic.Core.Imaging.Image<float> image) => (image.Width, image.Height);

    private static (int Width, int Height) Size(Mosaic.Core.Imaging.RgbImage image) => (image.Width, image.Height);

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
