using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Evaluation;

/// <summary>Where the ground truth of an evaluation comes from: exactly one of a TUM file, a pose topic or the bag's TF tree.</summary>
/// <param name="TumFile">A TUM trajectory (timestamp tx ty tz qx qy qz qw) of <paramref name="BodyFrame"/> in the map frame; or null.</param>
/// <param name="Topic">A pose topic (Odometry, PoseStamped, PoseWithCovarianceStamped) in the map frame; or null.</param>
/// <param name="BodyFrame">The frame the poses are of; empty = the camera's frame. Joined to the camera by /tf_static.</param>
/// <param name="Tolerance">Seconds: largest gap between an image stamp and the poses around it.</param>
public sealed record GroundTruthSource(string? TumFile, string? Topic, string BodyFrame, double Tolerance = 0.05)
{
    /// <summary>
    /// The ground truth is the bag's TF tree: frames.map → camera through topics.tf and topics.tf_static, as a
    /// motion-capture system or a reference localizer publishes it. <see cref="TumFile"/> and <see cref="Topic"/> are then null.
    /// </summary>
    public bool FromTransforms { get; init; }

    /// <summary>Ground truth from the bag's TF tree (<see cref="FromTransforms"/>).</summary>
    public static GroundTruthSource Transforms(double tolerance = 0.05) => new(null, null, "", tolerance) { FromTransforms = true };
}

/// <summary>One query frame: its stamp, true pose and odometry.</summary>
/// <param name="Stamp">Image stamp, nanoseconds.</param>
/// <param name="GroundTruth">T_map_camera from the ground truth.</param>
/// <param name="OdomFromCamera">The camera pose in the odometry frame, when odometry covers the stamp.</param>
/// <param name="DepthStamp">Stamp of the depth image paired with the image, when depth is read and one is close enough.</param>
public sealed record QueryFrame(long Stamp, Se3 GroundTruth, Se3? OdomFromCamera, long? DepthStamp = null);

/// <summary>
/// A recorded drive seen as queries: camera images with their true poses, odometry and, when
/// <c>topics.depth</c> is set, depth images. <see cref="Scan"/> reads everything but image payloads;
/// <see cref="ReadImages"/> decodes the chosen frames in a second pass.
/// </summary>
public sealed class QueryDrive
{
    private readonly string _bagPath;
    private readonly string _imageTopic;
    private readonly DepthSource? _depth;

    /// <summary>The depth topic, its camera and T_color_depth.</summary>
    private sealed record DepthSource(string Topic, CameraModel Camera, Se3 ColorFromDepth);

    /// <summary>Frames with ground truth, in stamp order.</summary>
    public IReadOnlyList<QueryFrame> Frames { get; }

    /// <summary>The camera (from the last camera_info).</summary>
    public CameraModel Camera { get; }

    /// <summary>Images in the window without a ground-truth pose (not evaluated).</summary>
    public int WithoutGroundTruth { get; }

    /// <summary>Images in the window whose stamp odometry does not cover.</summary>
    public int WithoutOdometry { get; }

    /// <summary>Whether depth images are read (<c>topics.depth</c> is set).</summary>
    public bool HasDepth => _depth is not null;

    /// <summary>Frames without a depth image within <c>depth.tolerance</c> (localized from colour alone); 0 when depth is not read.</summary>
    public int WithoutDepth { get; }

    private QueryDrive(string bagPath, string imageTopic, IReadOnlyList<QueryFrame> frames, CameraModel camera, int withoutGroundTruth, int withoutOdometry,
        DepthSource? depth, int withoutDepth)
    {
        (_bagPath, _imageTopic, Frames, Camera, WithoutGroundTruth, WithoutOdometry) = (bagPath, imageTopic, frames, camera, withoutGroundTruth, withoutOdometry);
        (_depth, WithoutDepth) = (depth, withoutDepth);
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
        var bagTopics = bag.Topics;
        void Require(string what, string topic, TopicRole role, string setting) =>
            DriveTopics.Require(bagPath, bagTopics, what, topic, role, setting);
        Require("image", topics.Image, TopicRole.Image, "topics.image");
        Require("camera_info", topics.CameraInfo, TopicRole.CameraInfo, "topics.camera_info");
        DriveTopics.RequireTypeIfPresent(bagPath, bagTopics, "static transform", topics.TfStatic, TopicRole.Transforms, "topics.tf_static");
        bool withDepth = !string.IsNullOrWhiteSpace(topics.Depth);
        if (withDepth)
        {
            Require("depth image", topics.Depth, TopicRole.Image, "topics.depth");
            Require("depth camera_info", topics.DepthCameraInfo, TopicRole.CameraInfo, "topics.depth_camera_info");
        }
        if (odometrySource == "topic")
            Require("odometry", topics.Odometry, TopicRole.Odometry, "topics.odometry");
        if (odometrySource == "tf")
            Require("tf", topics.Tf, TopicRole.Transforms, "topics.tf");
        if ((groundTruth.TumFile is not null ? 1 : 0) + (groundTruth.Topic is not null ? 1 : 0) + (groundTruth.FromTransforms ? 1 : 0) != 1)
            throw new ArgumentException("the ground truth must come from exactly one of a TUM file, a pose topic or the TF tree");
        if (groundTruth.Topic is { } gtTopic)
            Require("ground-truth", gtTopic, TopicRole.Pose, "--gt-topic");
        if (groundTruth.FromTransforms)
            Require("ground-truth transform", topics.Tf, TopicRole.Transforms, "topics.tf");

        var truth = new TfBuffer(TimeSpan.FromDays(3650));
        var odometry = new TfBuffer(TimeSpan.FromDays(3650));
        var wanted = new HashSet<string> { topics.Image, topics.CameraInfo, topics.TfStatic };
        if (odometrySource == "topic") wanted.Add(topics.Odometry);
        if (odometrySource == "tf" || groundTruth.FromTransforms) wanted.Add(topics.Tf);
        if (groundTruth.Topic is not null) wanted.Add(groundTruth.Topic);
        if (withDepth) wanted.UnionWith([topics.Depth, topics.DepthCameraInfo]);
        CameraInfo? info = null, depthInfo = null;
        var stamps = new List<(long Stamp, string Frame)>();
        var depthStamps = new List<(long Stamp, string Frame)>();
        long first = long.MaxValue;
        foreach (var message in bag.ReadMessages(new BagReadOptions(wanted)))
        {
            first = Math.Min(first, message.Timestamp);
            string topic = message.Topic.Name;
            if (topic == topics.Image)
                stamps.Add(DriveMessages.HeaderOf(message));
            else if (withDepth && topic == topics.Depth)
                depthStamps.Add(DriveMessages.HeaderOf(message));
            else if (topic == topics.CameraInfo || (withDepth && topic == topics.DepthCameraInfo))
            {
                // One camera_info may serve both cameras (depth registered to the colour image).
                var decoded = Rosbag2Reader.Decode<CameraInfo>(message);
                if (topic == topics.CameraInfo)
                    info = decoded;
                if (withDepth && topic == topics.DepthCameraInfo)
                    depthInfo = decoded;
            }
            else if (topic == topics.TfStatic)
            {
                var tf = Rosbag2Reader.Decode<TFMessage>(message);
                truth.Add(tf, isStatic: true);
                odometry.Add(tf, isStatic: true);
            }
            else if (topic == groundTruth.Topic)
                DriveMessages.AddPose(truth, message, BodyFrame(groundTruth, stamps), frames.Map, "frames.map");
            else if (topic == topics.Odometry && odometrySource == "topic")
                DriveMessages.AddPose(odometry, message, frames.Base, frames.Odom, "frames.odom");
            else if (topic == topics.Tf)
            {
                var tf = Rosbag2Reader.Decode<TFMessage>(message);
                if (groundTruth.FromTransforms)
                    truth.Add(tf, isStatic: false);
                if (odometrySource == "tf")
                    odometry.Add(tf, isStatic: false);
            }
        }
        if (info is null)
            throw new MappingInputException($"{bagPath}: no camera_info message on '{topics.CameraInfo}'");
        if (stamps.Count == 0)
            throw new MappingInputException($"{bagPath}: no images on '{topics.Image}'");
        string cameraFrame = stamps[0].Frame;
        if (groundTruth.TumFile is { } tum)
            DriveMessages.AddTum(truth, tum, frames.Map, string.IsNullOrEmpty(groundTruth.BodyFrame) ? cameraFrame : groundTruth.BodyFrame);
        var camera = DriveMessages.CameraModelOf(info, topics.CameraInfo);
        var depth = withDepth ? DepthSourceOf(bagPath, topics, depthInfo, depthStamps, truth, stamps[0]) : null;
        var depthTimes = depthStamps.Select(d => d.Stamp).Order().ToArray();
        long depthTolerance = (long)(parameters.Depth.Tolerance * 1e9);

        long windowStart = first + (long)(start * 1e9);
        long windowEnd = end < 0 ? long.MaxValue : first + (long)(end * 1e9);
        var truthTolerance = TimeSpan.FromSeconds(groundTruth.Tolerance);
        var odometryTolerance = TimeSpan.FromSeconds(parameters.Odometry.Tolerance);
        var result = new List<QueryFrame>();
        int index = 0, noTruth = 0, noOdometry = 0, noDepth = 0;
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
            long? depthStamp = null;
            if (depth is not null)
            {
                long nearest = BagFrameSource.Nearest(depthTimes, stamp);
                if (Math.Abs(nearest - stamp) <= depthTolerance)
                    depthStamp = nearest;
                else
                    noDepth++;
            }
            result.Add(new QueryFrame(stamp, truePose, odom, depthStamp));
        }
        if (result.Count == 0 && noTruth == 0)
        {
            double earliest = (stamps.Min(s => s.Stamp) - first) * 1e-9, latest = (stamps.Max(s => s.Stamp) - first) * 1e-9;
            throw new MappingInputException($"{bagPath}: no image between {start:0.###} s and {(end < 0 ? "the end" : $"{end:0.###} s")}; " +
                $"its images lie at {earliest:0.###}-{latest:0.###} s from the bag's first message");
        }
        if (result.Count == 0)
            throw new MappingInputException($"{bagPath}: no image in the window has a ground-truth pose ({noTruth} without one); check the ground-truth source and its stamps");
        return new QueryDrive(bagPath, topics.Image, result, camera, noTruth, noOdometry, depth, noDepth);
    }

    private static DepthSource DepthSourceOf(string bagPath, LocalizationTopics topics, CameraInfo? info, List<(long Stamp, string Frame)> stamps, TfBuffer tf, (long Stamp, string Frame) firstImage)
    {
        if (info is null)
            throw new MappingInputException($"{bagPath}: no camera_info message on '{topics.DepthCameraInfo}'");
        if (stamps.Count == 0)
            throw new MappingInputException($"{bagPath}: no depth images on '{topics.Depth}'");
        string depthFrame = stamps[0].Frame;
        try
        {
            var colorFromDepth = BagFrameSource.ToSe3(tf.Lookup(firstImage.Frame, depthFrame, firstImage.Stamp));
            return new DepthSource(topics.Depth, DriveMessages.CameraModelOf(info, topics.DepthCameraInfo), colorFromDepth);
        }
        catch (TfException e)
        {
            throw new MappingInputException($"{bagPath}: no transform from the depth frame '{depthFrame}' to the camera frame '{firstImage.Frame}' on {topics.TfStatic}: {e.Message}");
        }
    }

    /// <summary>
    /// Decodes the images of <paramref name="frames"/> (a subset of <see cref="Frames"/>) in stamp order,
    /// each with its depth image when it has one. An image that cannot be decoded comes back with
    /// <c>Image</c> null and the reason, so one damaged message never ends a replay; a depth image that
    /// cannot be decoded leaves the frame to colour alone, with the reason in <c>Error</c>.
    /// </summary>
    public IEnumerable<QueryImage> ReadImages(IReadOnlyList<QueryFrame> frames)
    {
        var pending = frames.OrderBy(f => f.Stamp).ToList();
        var wantedColor = pending.Select(f => f.Stamp).ToHashSet();
        var wantedDepth = pending.Where(f => f.DepthStamp is not null).Select(f => f.DepthStamp!.Value).ToHashSet();
        var colors = new Dictionary<long, (RgbImage? Image, string? Error)>();
        var depths = new Dictionary<long, (DepthReadings? Depth, string? Error)>();
        var topics = new HashSet<string> { _imageTopic };
        if (_depth is not null)
            topics.Add(_depth.Topic);
        using var bag = Rosbag2Reader.Open(_bagPath);
        foreach (var message in bag.ReadMessages(new BagReadOptions(topics)))
        {
            if (pending.Count == 0)
                yield break;
            var (stamp, _) = DriveMessages.HeaderOf(message);
            if (message.Topic.Name == _imageTopic && wantedColor.Remove(stamp))
                colors[stamp] = DecodeColor(message);
            else if (_depth is not null && message.Topic.Name == _depth.Topic && wantedDepth.Remove(stamp))
                depths[stamp] = DecodeDepth(message, _depth);
            else
                continue;
            // Hand out, in stamp order, every frame whose images are all here.
            while (pending.Count > 0 && colors.TryGetValue(pending[0].Stamp, out var color)
                   && (pending[0].DepthStamp is not { } depthStamp || depths.ContainsKey(depthStamp)))
            {
                var frame = pending[0];
                pending.RemoveAt(0);
                colors.Remove(frame.Stamp);
                var (depth, depthError) = frame.DepthStamp is { } d ? depths[d] : (null, null);
                if (frame.DepthStamp is { } used && !pending.Any(p => p.DepthStamp == used))
                    depths.Remove(used);
                yield return new QueryImage(frame, color.Image, color.Image is null ? null : depth, color.Error ?? (depthError is null ? null : $"depth: {depthError}"));
            }
        }
    }

    private (RgbImage? Image, string? Error) DecodeColor(BagMessage message)
    {
        try
        {
            var image = DriveMessages.DecodeColor(message);
            if (image.Width != Camera.Intrinsics.Width || image.Height != Camera.Intrinsics.Height)
                return (null, $"image is {image.Width}x{image.Height} but camera_info says {Camera.Intrinsics.Width}x{Camera.Intrinsics.Height}");
            return (image, null);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            return (null, e.Message);
        }
    }

    private static (DepthReadings? Depth, string? Error) DecodeDepth(BagMessage message, DepthSource source)
    {
        try
        {
            var metres = DriveMessages.DecodeDepth(message);
            var intrinsics = source.Camera.Intrinsics;
            if (metres.Width != intrinsics.Width || metres.Height != intrinsics.Height)
                return (null, $"depth image is {metres.Width}x{metres.Height} but its camera_info says {intrinsics.Width}x{intrinsics.Height}");
            return (new DepthReadings(metres, source.Camera, source.ColorFromDepth), null);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            return (null, e.Message);
        }
    }

    private static string BodyFrame(GroundTruthSource source, List<(long Stamp, string Frame)> stamps) =>
        !string.IsNullOrEmpty(source.BodyFrame) ? source.BodyFrame
        : stamps.Count > 0 ? stamps[0].Frame
        : throw new MappingInputException("ground-truth poses arrive before the first image, so the camera frame is not known yet; give the ground truth's body frame");
}

/// <summary>One decoded query frame from <see cref="QueryDrive.ReadImages"/>.</summary>
/// <param name="Frame">The frame.</param>
/// <param name="Image">The colour image; null when it could not be decoded.</param>
/// <param name="Depth">Its depth image, when depth is read, one was paired and it decoded.</param>
/// <param name="Error">Why the image (or, with an image, its depth) could not be decoded; null when nothing failed.</param>
public sealed record QueryImage(QueryFrame Frame, RgbImage? Image, DepthReadings? Depth, string? Error);
