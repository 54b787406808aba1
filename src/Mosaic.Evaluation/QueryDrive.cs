using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Evaluation;

/// <summary>Where the ground truth of an evaluation comes from.</summary>
/// <param name="TumFile">A TUM trajectory (timestamp tx ty tz qx qy qz qw) of <paramref name="BodyFrame"/> in the map frame; or null.</param>
/// <param name="Topic">A pose topic (Odometry, PoseStamped, PoseWithCovarianceStamped) in the map frame; or null.</param>
/// <param name="BodyFrame">The frame the poses are of; empty = the camera's frame. Joined to the camera by /tf_static.</param>
/// <param name="Tolerance">Seconds: largest gap between an image stamp and the poses around it.</param>
public sealed record GroundTruthSource(string? TumFile, string? Topic, string BodyFrame, double Tolerance = 0.05);

/// <summary>One query frame: its stamp, true pose and odometry.</summary>
/// <param name="Stamp">Image stamp, nanoseconds.</param>
/// <param name="GroundTruth">T_map_camera from the ground truth.</param>
/// <param name="OdomFromCamera">The camera pose in the odometry frame, when odometry covers the stamp.</param>
public sealed record QueryFrame(long Stamp, Se3 GroundTruth, Se3? OdomFromCamera);

/// <summary>
/// A recorded drive seen as queries: camera images with their true poses and odometry. <see cref="Scan"/>
/// reads everything but image payloads; <see cref="ReadImages"/> decodes the chosen frames in a second pass.
/// </summary>
public sealed class QueryDrive
{
    private readonly string _bagPath;
    private readonly string _imageTopic;

    /// <summary>Frames with ground truth, in stamp order.</summary>
    public IReadOnlyList<QueryFrame> Frames { get; }

    /// <summary>The camera (from the last camera_info).</summary>
    public CameraModel Camera { get; }

    /// <summary>Images in the window without a ground-truth pose (not evaluated).</summary>
    public int WithoutGroundTruth { get; }

    /// <summary>Images in the window whose stamp odometry does not cover.</summary>
    public int WithoutOdometry { get; }

    private QueryDrive(string bagPath, string imageTopic, IReadOnlyList<QueryFrame> frames, CameraModel camera, int withoutGroundTruth, int withoutOdometry)
    {
        (_bagPath, _imageTopic, Frames, Camera, WithoutGroundTruth, WithoutOdometry) = (bagPath, imageTopic, frames, camera, withoutGroundTruth, withoutOdometry);
    }

    /// <summary>
    /// Scans the bag. The window is <paramref name="start"/>..<paramref name="end"/> seconds from the
    /// bag's first message (negative end: to the end), taking every <paramref name="step"/>-th image.
    /// </summary>
    /// <exception cref="MappingInputException">A topic, camera_info, transform or any ground truth is missing.</exception>
    public static QueryDrive Scan(string bagPath, LocalizationParameters parameters, GroundTruthSource groundTruth, double start = 0, double end = -1, int step = 1)
    {
        if (step < 1)
            throw new ArgumentException("step must be at least 1");
        var topics = parameters.Topics;
        var frames = parameters.Frames;
        string odometrySource = parameters.Odometry.Source;
        using var bag = Rosbag2Reader.Open(bagPath);
        var byName = bag.Topics.ToDictionary(t => t.Name);
        string present = string.Join(", ", bag.Topics.Select(t => t.Name).Order());
        void Require(string what, string topic)
        {
            if (!byName.ContainsKey(topic))
                throw new MappingInputException($"{bagPath}: no {what} topic '{topic}' (topics: {present})");
        }
        Require("image", topics.Image);
        Require("camera_info", topics.CameraInfo);
        if (odometrySource == "topic")
            Require("odometry", topics.Odometry);
        if (odometrySource == "tf")
            Require("tf", topics.Tf);
        if (groundTruth.Topic is { } gtTopic)
            Require("ground-truth", gtTopic);

        var truth = new TfBuffer(TimeSpan.FromDays(3650));
        var odometry = new TfBuffer(TimeSpan.FromDays(3650));
        var wanted = new HashSet<string> { topics.Image, topics.CameraInfo, topics.TfStatic };
        if (odometrySource == "topic") wanted.Add(topics.Odometry);
        if (odometrySource == "tf") wanted.Add(topics.Tf);
        if (groundTruth.Topic is not null) wanted.Add(groundTruth.Topic);
        CameraInfo? info = null;
        var stamps = new List<(long Stamp, string Frame)>();
        long first = long.MaxValue;
        foreach (var message in bag.ReadMessages(new BagReadOptions(wanted)))
        {
            first = Math.Min(first, message.Timestamp);
            string topic = message.Topic.Name;
            if (topic == topics.Image)
                stamps.Add(DriveMessages.HeaderOf(message));
            else if (topic == topics.CameraInfo)
                info = Rosbag2Reader.Decode<CameraInfo>(message);
            else if (topic == topics.TfStatic)
            {
                var tf = Rosbag2Reader.Decode<TFMessage>(message);
                truth.Add(tf, isStatic: true);
                odometry.Add(tf, isStatic: true);
            }
            else if (topic == groundTruth.Topic)
                DriveMessages.AddPose(truth, message, BodyFrame(groundTruth, stamps), frames.Map);
            else if (topic == topics.Odometry && odometrySource == "topic")
                DriveMessages.AddPose(odometry, message, frames.Base, frames.Odom);
            else if (topic == topics.Tf && odometrySource == "tf")
                odometry.Add(Rosbag2Reader.Decode<TFMessage>(message), isStatic: false);
        }
        if (info is null)
            throw new MappingInputException($"{bagPath}: no camera_info message on '{topics.CameraInfo}'");
        if (stamps.Count == 0)
            throw new MappingInputException($"{bagPath}: no images on '{topics.Image}'");
        string cameraFrame = stamps[0].Frame;
        if (groundTruth.TumFile is { } tum)
            DriveMessages.AddTum(truth, tum, frames.Map, string.IsNullOrEmpty(groundTruth.BodyFrame) ? cameraFrame : groundTruth.BodyFrame);
        var camera = DriveMessages.CameraModelOf(info, topics.CameraInfo);

        long windowStart = first + (long)(start * 1e9);
        long windowEnd = end < 0 ? long.MaxValue : first + (long)(end * 1e9);
        var truthTolerance = TimeSpan.FromSeconds(groundTruth.Tolerance);
        var odometryTolerance = TimeSpan.FromSeconds(parameters.Odometry.Tolerance);
        var result = new List<QueryFrame>();
        int index = 0, noTruth = 0, noOdometry = 0;
        foreach (var (stamp, _) in stamps.OrderBy(s => s.Stamp))
        {
            if (stamp < windowStart || stamp > windowEnd || index++ % step != 0)
                continue;
            Se3 truePose;
            try
            {
                truePose = BagFrameSource.ToSe3(truth.Lookup(frames.Map, cameraFrame, stamp, truthTolerance, nearbySamplesOnly: true));
            }
            catch (TfException e) when (e.Kind is TfErrorKind.Extrapolation or TfErrorKind.Gap)
            {
                noTruth++;
                continue;
            }
            catch (TfException e)
            {
                throw new MappingInputException($"{bagPath}: cannot get the ground-truth pose of '{cameraFrame}' in '{frames.Map}': {e.Message}");
            }
            Se3? odom = null;
            if (odometrySource != "none")
            {
                try
                {
                    odom = BagFrameSource.ToSe3(odometry.Lookup(frames.Odom, cameraFrame, stamp, odometryTolerance));
                }
                catch (TfException e) when (e.Kind == TfErrorKind.Extrapolation)
                {
                    noOdometry++;
                }
                catch (TfException e)
                {
                    throw new MappingInputException($"{bagPath}: cannot get the odometry pose of '{cameraFrame}' in '{frames.Odom}' " +
                        $"(odometry.source {odometrySource}; set odometry.source: none to evaluate without odometry): {e.Message}");
                }
            }
            result.Add(new QueryFrame(stamp, truePose, odom));
        }
        if (result.Count == 0)
            throw new MappingInputException($"{bagPath}: no image in the window has a ground-truth pose ({noTruth} without one); check the ground-truth source and its stamps");
        return new QueryDrive(bagPath, topics.Image, result, camera, noTruth, noOdometry);
    }

    /// <summary>
    /// Decodes the images of <paramref name="frames"/> (a subset of <see cref="Frames"/>) in stamp order.
    /// An image that cannot be decoded comes back with <c>Image</c> null and the reason, so one damaged
    /// message never ends a replay.
    /// </summary>
    public IEnumerable<(QueryFrame Frame, RgbImage? Image, string? Error)> ReadImages(IReadOnlyList<QueryFrame> frames)
    {
        var byStamp = frames.ToDictionary(f => f.Stamp);
        using var bag = Rosbag2Reader.Open(_bagPath);
        foreach (var message in bag.ReadMessages(new BagReadOptions(new HashSet<string> { _imageTopic })))
        {
            var (stamp, _) = DriveMessages.HeaderOf(message);
            if (!byStamp.Remove(stamp, out var frame))
                continue;
            RgbImage? image = null;
            string? error = null;
            try
            {
                var decoded = message.Topic.Type.EndsWith("CompressedImage", StringComparison.Ordinal)
                    ? ImageCodecs.DecodeColor(Rosbag2Reader.Decode<CompressedImage>(message))
                    : ImageCodecs.DecodeColor(Rosbag2Reader.Decode<Image>(message));
                if (decoded.Width != Camera.Intrinsics.Width || decoded.Height != Camera.Intrinsics.Height)
                    error = $"image is {decoded.Width}x{decoded.Height} but camera_info says {Camera.Intrinsics.Width}x{Camera.Intrinsics.Height}";
                else
                    image = new RgbImage(decoded.Width, decoded.Height, decoded.Rgb);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or ArgumentException)
            {
                error = e.Message;
            }
            yield return (frame, image, error);
            if (byStamp.Count == 0)
                yield break;
        }
    }

    private static string BodyFrame(GroundTruthSource source, List<(long Stamp, string Frame)> stamps) =>
        !string.IsNullOrEmpty(source.BodyFrame) ? source.BodyFrame
        : stamps.Count > 0 ? stamps[0].Frame
        : throw new MappingInputException("ground-truth poses arrive before the first image, so the camera frame is not known yet; give the ground truth's body frame");
}
