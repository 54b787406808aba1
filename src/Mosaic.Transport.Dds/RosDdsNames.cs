namespace Mosaic.Transport.Dds;

/// <summary>
/// How ROS 2 (rmw_cyclonedds) names its topics and types in DDS, so that ROS tools see Mosaic's endpoints
/// as ordinary ROS topics.
/// </summary>
public static class RosDdsNames
{
    /// <summary>The largest domain ID whose ports fit the RTPS port mapping (ROS 2 documents 0-232 on Linux).</summary>
    public const uint MaxDomainId = 232;

    /// <summary>The DDS topic of a fully qualified ROS topic: <c>/tf</c> becomes <c>rt/tf</c>.</summary>
    public static string Topic(string rosTopic)
    {
        if (!rosTopic.StartsWith('/') || rosTopic.Length < 2)
        {
            throw new ArgumentException($"'{rosTopic}' is not a fully qualified ROS topic name (it must start with '/')", nameof(rosTopic));
        }
        return "rt" + rosTopic;
    }

    /// <summary>
    /// The DDS type of a ROS message type: <c>geometry_msgs/msg/PoseStamped</c> becomes
    /// <c>geometry_msgs::msg::dds_::PoseStamped_</c>.
    /// </summary>
    public static string Type(string rosType)
    {
        var parts = rosType.Split('/');
        if (parts.Length != 3 || parts.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"'{rosType}' is not a ROS type name of the form package/msg/Name", nameof(rosType));
        }
        return $"{parts[0]}::{parts[1]}::dds_::{parts[2]}_";
    }

    /// <summary>
    /// The domain ID as ROS 2 reads it: the <c>ROS_DOMAIN_ID</c> environment variable, 0 when unset or empty.
    /// Cyclone itself does not read this variable, so every ROS process has to.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not an integer in 0..232.</exception>
    public static uint DomainId(string? rosDomainId)
    {
        if (string.IsNullOrWhiteSpace(rosDomainId))
        {
            return 0;
        }
        if (!uint.TryParse(rosDomainId.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id > MaxDomainId)
        {
            throw new ArgumentException($"ROS_DOMAIN_ID='{rosDomainId}' is not a domain ID (an integer from 0 to {MaxDomainId})");
        }
        return id;
    }
}
