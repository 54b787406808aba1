using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>geometry_msgs/msg/Vector3.</summary>
public readonly record struct Vector3(double X, double Y, double Z) : IRosMessage<Vector3>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("geometry_msgs/msg/Vector3", "float64 x\nfloat64 y\nfloat64 z\n");

    /// <inheritdoc/>
    public static Vector3 Read(ref CdrReader reader) => new(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteDouble(X);
        writer.WriteDouble(Y);
        writer.WriteDouble(Z);
    }
}

/// <summary>geometry_msgs/msg/Point.</summary>
public readonly record struct Point(double X, double Y, double Z) : IRosMessage<Point>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } = new("geometry_msgs/msg/Point", "float64 x\nfloat64 y\nfloat64 z\n");

    /// <inheritdoc/>
    public static Point Read(ref CdrReader reader) => new(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteDouble(X);
        writer.WriteDouble(Y);
        writer.WriteDouble(Z);
    }
}

/// <summary>geometry_msgs/msg/Quaternion (x, y, z, w order as on the wire).</summary>
public readonly record struct Quaternion(double X, double Y, double Z, double W) : IRosMessage<Quaternion>
{
    /// <summary>The identity rotation.</summary>
    public static Quaternion Identity => new(0, 0, 0, 1);

    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/Quaternion", "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n");

    /// <inheritdoc/>
    public static Quaternion Read(ref CdrReader reader) => new(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        writer.WriteDouble(X);
        writer.WriteDouble(Y);
        writer.WriteDouble(Z);
        writer.WriteDouble(W);
    }
}

/// <summary>geometry_msgs/msg/Pose.</summary>
public readonly record struct Pose(Point Position, Quaternion Orientation) : IRosMessage<Pose>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/Pose", "Point position\nQuaternion orientation\n", Point.Definition, Quaternion.Definition);

    /// <inheritdoc/>
    public static Pose Read(ref CdrReader reader) => new(Point.Read(ref reader), Quaternion.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Position.Write(writer);
        Orientation.Write(writer);
    }
}

/// <summary>geometry_msgs/msg/Transform.</summary>
public readonly record struct Transform(Vector3 Translation, Quaternion Rotation) : IRosMessage<Transform>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/Transform", "Vector3 translation\nQuaternion rotation\n", Vector3.Definition, Quaternion.Definition);

    /// <inheritdoc/>
    public static Transform Read(ref CdrReader reader) => new(Vector3.Read(ref reader), Quaternion.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Translation.Write(writer);
        Rotation.Write(writer);
    }
}

/// <summary>geometry_msgs/msg/Twist.</summary>
public readonly record struct Twist(Vector3 Linear, Vector3 Angular) : IRosMessage<Twist>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/Twist", "Vector3 linear\nVector3 angular\n", Vector3.Definition);

    /// <inheritdoc/>
    public static Twist Read(ref CdrReader reader) => new(Vector3.Read(ref reader), Vector3.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Linear.Write(writer);
        Angular.Write(writer);
    }
}

/// <summary>geometry_msgs/msg/PoseWithCovariance: covariance is 6x6 row-major over (x, y, z, rotX, rotY, rotZ).</summary>
public sealed record PoseWithCovariance(Pose Pose, double[] Covariance) : IRosMessage<PoseWithCovariance>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/PoseWithCovariance", "Pose pose\nfloat64[36] covariance\n", Pose.Definition);

    /// <inheritdoc/>
    public static PoseWithCovariance Read(ref CdrReader reader) => new(Pose.Read(ref reader), reader.ReadDoubleArray(36));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Pose.Write(writer);
        writer.WriteDoubleArray(FixedLength(Covariance, 36));
    }

    internal static double[] FixedLength(double[] values, int length) =>
        values.Length == length ? values : throw new ArgumentException($"expected {length} values, got {values.Length}");
}

/// <summary>geometry_msgs/msg/TwistWithCovariance.</summary>
public sealed record TwistWithCovariance(Twist Twist, double[] Covariance) : IRosMessage<TwistWithCovariance>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/TwistWithCovariance", "Twist twist\nfloat64[36] covariance\n", Twist.Definition);

    /// <inheritdoc/>
    public static TwistWithCovariance Read(ref CdrReader reader) => new(Twist.Read(ref reader), reader.ReadDoubleArray(36));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Twist.Write(writer);
        writer.WriteDoubleArray(PoseWithCovariance.FixedLength(Covariance, 36));
    }
}

/// <summary>geometry_msgs/msg/PoseStamped.</summary>
public sealed record PoseStamped(Header Header, Pose Pose) : IRosMessage<PoseStamped>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/PoseStamped", "std_msgs/Header header\nPose pose\n", Header.Definition, Pose.Definition);

    /// <inheritdoc/>
    public static PoseStamped Read(ref CdrReader reader) => new(Header.Read(ref reader), Pose.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        Pose.Write(writer);
    }
}

/// <summary>geometry_msgs/msg/PoseWithCovarianceStamped (what /initialpose and localizers publish).</summary>
public sealed record PoseWithCovarianceStamped(Header Header, PoseWithCovariance Pose) : IRosMessage<PoseWithCovarianceStamped>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/PoseWithCovarianceStamped", "std_msgs/Header header\nPoseWithCovariance pose\n",
            Header.Definition, PoseWithCovariance.Definition);

    /// <inheritdoc/>
    public static PoseWithCovarianceStamped Read(ref CdrReader reader) => new(Header.Read(ref reader), PoseWithCovariance.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        Pose.Write(writer);
    }
}

/// <summary>geometry_msgs/msg/TransformStamped: the pose of <see cref="ChildFrameId"/> in <c>Header.FrameId</c>.</summary>
public sealed record TransformStamped(Header Header, string ChildFrameId, Transform Transform) : IRosMessage<TransformStamped>
{
    /// <inheritdoc/>
    public static MessageDefinition Definition { get; } =
        new("geometry_msgs/msg/TransformStamped", "std_msgs/Header header\nstring child_frame_id\nTransform transform\n",
            Header.Definition, Transform.Definition);

    /// <inheritdoc/>
    public static TransformStamped Read(ref CdrReader reader) => new(Header.Read(ref reader), reader.ReadString(), Transform.Read(ref reader));

    /// <inheritdoc/>
    public void Write(CdrWriter writer)
    {
        Header.Write(writer);
        writer.WriteString(ChildFrameId);
        Transform.Write(writer);
    }
}
