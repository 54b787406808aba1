using Mosaic.Ros.Messages;
using RosMessages = Mosaic.Ros.Messages;

namespace Mosaic.Rclcs;

/// <summary>
/// Between ros2_dotnet's generated message classes and Mosaic's CDR bytes, for the types the node uses.
/// rcldotnet has no serialized-message API, so the adapter goes through Mosaic.Ros's records.
/// Written against ros2_dotnet's generator (PascalCase properties, sequences as List&lt;T&gt;, fixed arrays as T[],
/// a field named like its type gets a trailing underscore); untested here, as no ROS 2 is installed.
/// </summary>
internal static class RclcsMessages
{
    /// <summary>An incoming ROS message as CDR bytes.</summary>
    public static byte[] ToCdr(object message) => RosSerializer.Serialize(message switch
    {
        sensor_msgs.msg.Image m => new Image(Header(m.Header), m.Height, m.Width, m.Encoding, m.IsBigendian != 0, m.Step, [.. m.Data]),
        sensor_msgs.msg.CompressedImage m => new CompressedImage(Header(m.Header), m.Format, [.. m.Data]),
        sensor_msgs.msg.CameraInfo m => new CameraInfo(Header(m.Header), m.Height, m.Width, m.DistortionModel, [.. m.D], [.. m.K], [.. m.R], [.. m.P],
            m.BinningX, m.BinningY, new RegionOfInterest(m.Roi.XOffset, m.Roi.YOffset, m.Roi.Height, m.Roi.Width, m.Roi.DoRectify)),
        nav_msgs.msg.Odometry m => new Odometry(Header(m.Header), m.ChildFrameId,
            new PoseWithCovariance(Pose(m.Pose.Pose), [.. m.Pose.Covariance]),
            new TwistWithCovariance(new Twist(Vector(m.Twist.Twist.Linear), Vector(m.Twist.Twist.Angular)), [.. m.Twist.Covariance])),
        tf2_msgs.msg.TFMessage m => new TFMessage(m.Transforms.Select(t => new TransformStamped(Header(t.Header), t.ChildFrameId,
            new Transform(Vector(t.Transform.Translation), Rotation(t.Transform.Rotation)))).ToList()),
        geometry_msgs.msg.PoseWithCovarianceStamped m => new PoseWithCovarianceStamped(Header(m.Header),
            new PoseWithCovariance(Pose(m.Pose.Pose), [.. m.Pose.Covariance])),
        rosgraph_msgs.msg.Clock m => new RosMessages.Clock(Time(m.Clock_)),
        _ => throw new NotSupportedException($"no conversion from {message.GetType().FullName}"),
    });

    /// <summary>An outgoing message, from CDR bytes of ROS type <paramref name="type"/>.</summary>
    public static object FromCdr(string type, ReadOnlySpan<byte> cdr) => type switch
    {
        "geometry_msgs/msg/PoseWithCovarianceStamped" => ToRclcs(RosSerializer.Deserialize<PoseWithCovarianceStamped>(cdr)),
        "tf2_msgs/msg/TFMessage" => ToRclcs(RosSerializer.Deserialize<TFMessage>(cdr)),
        "diagnostic_msgs/msg/DiagnosticArray" => ToRclcs(RosSerializer.Deserialize<DiagnosticArray>(cdr)),
        "sensor_msgs/msg/Image" => ToRclcs(RosSerializer.Deserialize<Image>(cdr)),
        "sensor_msgs/msg/PointCloud2" => ToRclcs(RosSerializer.Deserialize<PointCloud2>(cdr)),
        _ => throw new NotSupportedException($"the rclcs transport does not publish {type}"),
    };

    private static Header Header(std_msgs.msg.Header h) => new(Time(h.Stamp), h.FrameId);

    private static RosTime Time(builtin_interfaces.msg.Time t) => new(t.Sec, t.Nanosec);

    private static Pose Pose(geometry_msgs.msg.Pose p) =>
        new(new Point(p.Position.X, p.Position.Y, p.Position.Z), Rotation(p.Orientation));

    private static Quaternion Rotation(geometry_msgs.msg.Quaternion q) => new(q.X, q.Y, q.Z, q.W);

    private static Vector3 Vector(geometry_msgs.msg.Vector3 v) => new(v.X, v.Y, v.Z);

    private static std_msgs.msg.Header ToRclcs(Header h) => new()
    {
        Stamp = new builtin_interfaces.msg.Time { Sec = h.Stamp.Sec, Nanosec = h.Stamp.Nanosec },
        FrameId = h.FrameId,
    };

    private static geometry_msgs.msg.Quaternion ToRclcs(Quaternion q) => new() { X = q.X, Y = q.Y, Z = q.Z, W = q.W };

    private static geometry_msgs.msg.PoseWithCovarianceStamped ToRclcs(PoseWithCovarianceStamped m) => new()
    {
        Header = ToRclcs(m.Header),
        Pose = new geometry_msgs.msg.PoseWithCovariance
        {
            Pose = new geometry_msgs.msg.Pose
            {
                Position = new geometry_msgs.msg.Point { X = m.Pose.Pose.Position.X, Y = m.Pose.Pose.Position.Y, Z = m.Pose.Pose.Position.Z },
                Orientation = ToRclcs(m.Pose.Pose.Orientation),
            },
            Covariance = [.. m.Pose.Covariance],
        },
    };

    private static tf2_msgs.msg.TFMessage ToRclcs(TFMessage m) => new()
    {
        Transforms = m.Transforms.Select(t => new geometry_msgs.msg.TransformStamped
        {
            Header = ToRclcs(t.Header),
            ChildFrameId = t.ChildFrameId,
            Transform = new geometry_msgs.msg.Transform
            {
                Translation = new geometry_msgs.msg.Vector3 { X = t.Transform.Translation.X, Y = t.Transform.Translation.Y, Z = t.Transform.Translation.Z },
                Rotation = ToRclcs(t.Transform.Rotation),
            },
        }).ToList(),
    };

    private static diagnostic_msgs.msg.DiagnosticArray ToRclcs(DiagnosticArray m) => new()
    {
        Header = ToRclcs(m.Header),
        Status = m.Status.Select(s => new diagnostic_msgs.msg.DiagnosticStatus
        {
            Level = s.Level,
            Name = s.Name,
            Message = s.Message,
            HardwareId = s.HardwareId,
            Values = s.Values.Select(v => new diagnostic_msgs.msg.KeyValue { Key = v.Key, Value = v.Value }).ToList(),
        }).ToList(),
    };

    private static sensor_msgs.msg.PointCloud2 ToRclcs(PointCloud2 m) => new()
    {
        Header = ToRclcs(m.Header),
        Height = m.Height,
        Width = m.Width,
        Fields = m.Fields.Select(f => new sensor_msgs.msg.PointField { Name = f.Name, Offset = f.Offset, Datatype = f.Datatype, Count = f.Count }).ToList(),
        IsBigendian = m.IsBigEndian,
        PointStep = m.PointStep,
        RowStep = m.RowStep,
        Data = [.. m.Data],
        IsDense = m.IsDense,
    };

    private static sensor_msgs.msg.Image ToRclcs(Image m) => new()
    {
        Header = ToRclcs(m.Header),
        Height = m.Height,
        Width = m.Width,
        Encoding = m.Encoding,
        IsBigendian = (byte)(m.IsBigEndian ? 1 : 0),
        Step = m.Step,
        Data = [.. m.Data],
    };
}
