namespace Mosaic.Ros;

/// <summary>DDS reliability.</summary>
public enum Reliability
{
    /// <summary>Lost samples are re-sent.</summary>
    Reliable,
    /// <summary>Lost samples stay lost (sensor data).</summary>
    BestEffort,
}

/// <summary>DDS durability.</summary>
public enum Durability
{
    /// <summary>Late subscribers get nothing sent before they joined.</summary>
    Volatile,
    /// <summary>Late subscribers get the last <see cref="QosProfile.Depth"/> samples ("latched").</summary>
    TransientLocal,
}

/// <summary>A keep-last QoS profile: the settings ROS 2 tools agree on between a publisher and a subscriber.</summary>
/// <param name="Reliability">Reliability.</param>
/// <param name="Durability">Durability.</param>
/// <param name="Depth">History depth (keep last N).</param>
public sealed record QosProfile(Reliability Reliability, Durability Durability, int Depth)
{
    /// <summary>rclcpp's SensorDataQoS: best effort, volatile, depth 5 (camera images, camera_info).</summary>
    public static QosProfile SensorData { get; } = new(Reliability.BestEffort, Durability.Volatile, 5);

    /// <summary>The ROS 2 default: reliable, volatile, depth 10.</summary>
    public static QosProfile Default { get; } = new(Reliability.Reliable, Durability.Volatile, 10);

    /// <summary>Latched: reliable, transient-local, depth 1 (the pose output, as AMCL's amcl_pose).</summary>
    public static QosProfile Latched { get; } = new(Reliability.Reliable, Durability.TransientLocal, 1);

    /// <summary>/tf as tf2_ros: reliable, volatile, depth 100.</summary>
    public static QosProfile Tf { get; } = new(Reliability.Reliable, Durability.Volatile, 100);

    /// <summary>/tf_static as tf2_ros: reliable, transient-local, depth 1.</summary>
    public static QosProfile TfStatic { get; } = new(Reliability.Reliable, Durability.TransientLocal, 1);

    /// <summary>The profile as rosbag2 (v9) writes a topic's offered_qos_profiles: a YAML list of one profile.</summary>
    public string ToOfferedQosYaml() =>
        "- history: keep_last\n" +
        $"  depth: {Depth}\n" +
        $"  reliability: {(Reliability == Reliability.Reliable ? "reliable" : "best_effort")}\n" +
        $"  durability: {(Durability == Durability.TransientLocal ? "transient_local" : "volatile")}\n" +
        "  deadline:\n    sec: 9223372036\n    nsec: 854775807\n" +
        "  lifespan:\n    sec: 9223372036\n    nsec: 854775807\n" +
        "  liveliness: automatic\n" +
        "  liveliness_lease_duration:\n    sec: 9223372036\n    nsec: 854775807\n" +
        "  avoid_ros_namespace_conventions: false\n";
}
