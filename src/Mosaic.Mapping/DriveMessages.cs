using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Mapping;

/// <summary>
/// Reading a recorded drive's messages the way every offline tool needs them: image headers without
/// their payload, camera models from camera_info, and poses (topics or TUM files) into a TF buffer.
/// </summary>
public static class DriveMessages
{
    /// <summary>Stamp (ns) and frame of an Image or CompressedImage message, without decoding its payload.</summary>
    public static (long Stamp, string Frame) HeaderOf(BagMessage message)
    {
        // Image and CompressedImage both start with a std_msgs/Header.
        var reader = new Ros.Cdr.CdrReader(message.Data.Span);
        var header = Header.Read(ref reader);
        return (header.Stamp.Nanoseconds, header.FrameId);
    }

    /// <summary>The pixels of an Image or CompressedImage message as RGB8 (<see cref="ImageCodecs"/>).</summary>
    public static RgbImage DecodeColor(BagMessage message)
    {
        var image = IsCompressed(message)
            ? ImageCodecs.DecodeColor(Rosbag2Reader.Decode<CompressedImage>(message))
            : ImageCodecs.DecodeColor(Rosbag2Reader.Decode<Ros.Messages.Image>(message));
        return new RgbImage(image.Width, image.Height, image.Rgb);
    }

    /// <summary>The depth (metres) of an Image (16UC1 mm, 32FC1 m) or compressedDepth message (<see cref="ImageCodecs"/>).</summary>
    public static Image<float> DecodeDepth(BagMessage message)
    {
        var image = IsCompressed(message)
            ? ImageCodecs.DecodeDepth(Rosbag2Reader.Decode<CompressedImage>(message))
            : ImageCodecs.DecodeDepth(Rosbag2Reader.Decode<Ros.Messages.Image>(message));
        return new Image<float>(image.Width, image.Height, image.Metres);
    }

    private static bool IsCompressed(BagMessage message) => message.Topic.Type.EndsWith("CompressedImage", StringComparison.Ordinal);

    /// <summary>The camera model of a camera_info message; <paramref name="topic"/> names it in errors.</summary>
    /// <exception cref="MappingInputException">The camera_info is unusable.</exception>
    public static CameraModel CameraModelOf(CameraInfo info, string topic)
    {
        try
        {
            return CameraModel.FromCameraInfo((int)info.Width, (int)info.Height, info.DistortionModel, info.D, info.K);
        }
        catch (ArgumentException e)
        {
            throw new MappingInputException($"{topic}: unusable camera_info: {e.Message}");
        }
    }

    /// <summary>
    /// Adds a pose message (nav_msgs/Odometry, PoseStamped or PoseWithCovarianceStamped) to <paramref name="tf"/> as
    /// <paramref name="parentFrame"/> → body, the body being the Odometry's child frame or <paramref name="bodyFrame"/>.
    /// Returns the body frame. <paramref name="parentSetting"/> names the parameter that sets the parent frame, for errors.
    /// </summary>
    /// <exception cref="MappingInputException">Another message type, or a header frame other than <paramref name="parentFrame"/>.</exception>
    public static string AddPose(TfBuffer tf, BagMessage message, string bodyFrame, string parentFrame, string parentSetting)
    {
        Header header;
        string body;
        Pose pose;
        switch (MessageDefinition.NormalizeName(message.Topic.Type))
        {
            case "nav_msgs/msg/Odometry":
                var odometry = Rosbag2Reader.Decode<Odometry>(message);
                (header, body, pose) = (odometry.Header, odometry.ChildFrameId, odometry.Pose.Pose);
                break;
            case "geometry_msgs/msg/PoseStamped":
                var stamped = Rosbag2Reader.Decode<PoseStamped>(message);
                (header, body, pose) = (stamped.Header, bodyFrame, stamped.Pose);
                break;
            case "geometry_msgs/msg/PoseWithCovarianceStamped":
                var withCovariance = Rosbag2Reader.Decode<PoseWithCovarianceStamped>(message);
                (header, body, pose) = (withCovariance.Header, bodyFrame, withCovariance.Pose.Pose);
                break;
            default:
                throw new MappingInputException($"pose topic '{message.Topic.Name}' has type {message.Topic.Type}; expected nav_msgs/msg/Odometry, geometry_msgs/msg/PoseStamped or PoseWithCovarianceStamped");
        }
        string frame = header.FrameId.TrimStart('/');
        if (frame != parentFrame.TrimStart('/'))
            throw new MappingInputException($"pose topic '{message.Topic.Name}' gives poses in frame '{frame}' but '{parentFrame}' is expected ({parentSetting}); set -p {parentSetting}:={frame} if that is the frame you mean");
        var transform = new Transform(new Vector3(pose.Position.X, pose.Position.Y, pose.Position.Z), pose.Orientation);
        tf.Add(new TransformStamped(header, body, transform), isStatic: false);
        return body;
    }

    /// <summary>Adds every pose of a TUM file (timestamp tx ty tz qx qy qz qw) as <paramref name="mapFrame"/> → <paramref name="bodyFrame"/>; returns the body frame.</summary>
    /// <exception cref="MappingInputException">The file is missing, malformed or empty.</exception>
    public static string AddTum(TfBuffer tf, string path, string mapFrame, string bodyFrame)
    {
        if (!File.Exists(path))
            throw new MappingInputException($"{path}: TUM trajectory file not found");
        IReadOnlyList<TumPose> poses;
        try
        {
            poses = TumTrajectory.Parse(File.ReadLines(path), path);
        }
        catch (FormatException e)
        {
            throw new MappingInputException(e.Message);
        }
        if (poses.Count == 0)
            throw new MappingInputException($"{path}: no poses in the TUM file");
        foreach (var (stamp, t, q) in poses)
            tf.Add(new TransformStamped(new Header(RosTime.FromNanoseconds(stamp), mapFrame), bodyFrame,
                new Transform(new Vector3(t.X, t.Y, t.Z), new Quaternion(q.X, q.Y, q.Z, q.W))), isStatic: false);
        return bodyFrame;
    }
}
