using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>nav_msgs/msg/Odometry: pose in <c>Header.FrameId</c>, twist in <see cref="ChildFrameId"/>.</summary>
public sealed record Odometry(Header Header, string ChildFrameId, PoseWithCovariance Pose, TwistWithCovariance Twist)
    : IRosMessage<Odometry>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("nav_msgs/msg/Odometry",
        "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/PoseWithCovariance pose\ngeometry_msgs/TwistWithCovariance twist\n",
        Header.Definition, PoseWithCovariance.Definition, TwistWithCovariance.Definition);

    /// <inheritdoc/>
    public static Odometry Read(ref CdrReader reader) =>
        new(Header.Read(ref reader), reader.ReadString(), PoseWithCovariance.Read(ref reader), TwistWithCovariance.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteString(ChildFrameId);
        Pose.Write(writer);
        Twist.Write(writer);
    }
}

/// <summary>nav_msgs/msg/Path.</summary>
public sealed record NavPath(Header Header, IReadOnlyList<PoseStamped> Poses) : IRosMessage<NavPath>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("nav_msgs/msg/Path",
        "std_msgs/Header header\ngeometry_msgs/PoseStamped[] poses\n", Header.Definition, PoseStamped.Definition);

    /// <inheritdoc/>
    public static NavPath Read(ref CdrReader reader)
    {
        var header = Header.Read(ref reader);
        // A PoseStamped is at least 4+4+4 (stamp, empty frame) + 56 bytes of pose.
        return new NavPath(header, MessageSequence.Read<PoseStamped>(ref reader, 68));
    }

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        MessageSequence.Write(writer, Poses);
    }
}

/// <summary>tf2_msgs/msg/TFMessage: what /tf and /tf_static carry.</summary>
public sealed record TFMessage(IReadOnlyList<TransformStamped> Transforms) : IRosMessage<TFMessage>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("tf2_msgs/msg/TFMessage",
        "geometry_msgs/TransformStamped[] transforms\n", TransformStamped.Definition);

    /// <inheritdoc/>
    public static TFMessage Read(ref CdrReader reader)
    {
        // header (>= 12 bytes) + child frame (>= 4) + 56 bytes of transform.
        return new TFMessage(MessageSequence.Read<TransformStamped>(ref reader, 72));
    }

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        MessageSequence.Write(writer, Transforms);
    }
}
