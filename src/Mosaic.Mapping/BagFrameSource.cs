using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Mapping;

/// <summary>
/// The map builder's edge to a recorded drive. <see cref="Scan"/> reads everything but the image
/// payloads: camera infos, transforms, poses and image stamps; it pairs each colour image with the
/// nearest depth image and looks up its pose. <see cref="ReadFrames"/> then decodes only the chosen
/// frames in a second pass, so a long drive never sits decoded in memory.
/// </summary>
public sealed class BagFrameSource
{
    private readonly string _bagPath;
    private readonly MappingOptions _options;

    /// <summary>Colour images with a depth partner and a pose, in stamp order.</summary>
    public IReadOnlyList<FrameCandidate> Candidates { get; }

    /// <summary>Colour images inside the time window.</summary>
    public int ColorImages { get; }

    /// <summary>Colour images skipped because no depth image was within the sync tolerance.</summary>
    public int SkippedWithoutDepth { get; }

    /// <summary>Colour images skipped because no pose was available at their stamp.</summary>
    public int SkippedWithoutPose { get; }

    /// <summary>The colour camera.</summary>
    public CameraModel ColorCamera { get; }

    /// <summary>The depth camera.</summary>
    public CameraModel DepthCamera { get; }

    /// <summary>The colour optical frame (the colour images' frame_id).</summary>
    public string ColorFrame { get; }

    /// <summary>T_color_depth from /tf_static (identity when both images share a frame).</summary>
    public Se3 ColorFromDepth { get; }

    /// <summary>Non-fatal findings (changing camera infos, ...).</summary>
    public IReadOnlyList<string> Warnings { get; }

    private BagFrameSource(string bagPath, MappingOptions options, List<FrameCandidate> candidates, int colorImages, int noDepth, int noPose,
        CameraModel color, CameraModel depth, string colorFrame, Se3 colorFromDepth, List<string> warnings)
    {
        (_bagPath, _options, Candidates, ColorImages, SkippedWithoutDepth, SkippedWithoutPose) = (bagPath, options, candidates, colorImages, noDepth, noPose);
        (ColorCamera, DepthCamera, ColorFrame, ColorFromDepth, Warnings) = (color, depth, colorFrame, colorFromDepth, warnings);
    }

    /// <summary>First pass over the bag.</summary>
    /// <exception cref="MappingInputException">A needed topic, camera info, transform or pose is missing.</exception>
    public static BagFrameSource Scan(string bagPath, MappingOptions options, IProgress<double>? progress = null)
    {
        var topics = options.Topics;
        using var bag = Rosbag2Reader.Open(bagPath);
        var bagTopics = bag.Topics;
        DriveTopics.Require(bagPath, bagTopics, "colour image", topics.ColorImage, TopicRole.Image, "topics.color_image");
        DriveTopics.Require(bagPath, bagTopics, "colour camera_info", topics.ColorInfo, TopicRole.CameraInfo, "topics.color_info");
        DriveTopics.Require(bagPath, bagTopics, "depth image", topics.DepthImage, TopicRole.Image, "topics.depth_image");
        DriveTopics.Require(bagPath, bagTopics, "depth camera_info", topics.DepthInfo, TopicRole.CameraInfo, "topics.depth_info");
        DriveTopics.RequireTypeIfPresent(bagPath, bagTopics, "static transform", topics.TfStatic, TopicRole.Transforms, "topics.tf_static");
        var pose = options.Pose;
        if (pose.Source == "topic")
            DriveTopics.Require(bagPath, bagTopics, "pose", pose.Topic, TopicRole.Pose, "pose.topic");
        if (pose.Source == "tf")
            DriveTopics.Require(bagPath, bagTopics, "transform", topics.Tf, TopicRole.Transforms, "topics.tf");

        var tf = new TfBuffer(TimeSpan.FromDays(3650));
        var wanted = new HashSet<string> { topics.ColorImage, topics.ColorInfo, topics.DepthImage, topics.DepthInfo, topics.TfStatic };
        if (pose.Source == "tf")
            wanted.Add(topics.Tf);
        if (pose.Source == "topic")
            wanted.Add(pose.Topic);
        var warnings = new List<string>();
        CameraInfo? colorInfo = null, depthInfo = null;
        var colorStamps = new List<(long Stamp, string Frame)>();
        var depthStamps = new List<(long Stamp, string Frame)>();
        long first = long.MaxValue;
        long total = Math.Max(1, bag.Metadata?.MessageCount ?? 0);
        long seen = 0;
        var poseMessages = new List<BagMessage>();
        foreach (var message in bag.ReadMessages(new BagReadOptions(wanted)))
        {
            first = Math.Min(first, message.Timestamp);
            if (++seen % 256 == 0)
                progress?.Report(Math.Min(1, (double)seen / total));
            string topic = message.Topic.Name;
            if (topic == topics.ColorImage)
                colorStamps.Add(DriveMessages.HeaderOf(message));
            else if (topic == topics.DepthImage)
                depthStamps.Add(DriveMessages.HeaderOf(message));
            else if (topic == topics.ColorInfo || topic == topics.DepthInfo)
            {
                // One camera_info may serve both cameras (depth registered to the colour image).
                var info = Rosbag2Reader.Decode<CameraInfo>(message);
                if (topic == topics.ColorInfo)
                    colorInfo = Replace(colorInfo, info, topic, warnings);
                if (topic == topics.DepthInfo)
                    depthInfo = Replace(depthInfo, info, topic, warnings);
            }
            else if (topic == topics.TfStatic || topic == topics.Tf)
                tf.Add(Rosbag2Reader.Decode<TFMessage>(message), isStatic: topic == topics.TfStatic);
            else if (topic == pose.Topic)
                poseMessages.Add(message);
        }
        if (colorInfo is null)
            throw new MappingInputException($"{bagPath}: no camera_info message on '{topics.ColorInfo}'");
        if (depthInfo is null)
            throw new MappingInputException($"{bagPath}: no camera_info message on '{topics.DepthInfo}'");
        if (colorStamps.Count == 0)
            throw new MappingInputException($"{bagPath}: no colour images on '{topics.ColorImage}'");
        if (depthStamps.Count == 0)
            throw new MappingInputException($"{bagPath}: no depth images on '{topics.DepthImage}'");
        string colorFrame = colorStamps[0].Frame, depthFrame = depthStamps[0].Frame;
        string bodyFrame = string.IsNullOrEmpty(pose.BodyFrame) ? colorFrame : pose.BodyFrame;
        string? poseFrame = null;
        if (pose.Source == "tum")
            poseFrame = DriveMessages.AddTum(tf, pose.TumFile, options.Frames.Map, bodyFrame);
        foreach (var message in poseMessages)
            poseFrame = DriveMessages.AddPose(tf, message, bodyFrame, options.Frames.Map, "frames.map");
        var colorCamera = DriveMessages.CameraModelOf(colorInfo, topics.ColorInfo);
        var depthCamera = DriveMessages.CameraModelOf(depthInfo, topics.DepthInfo);
        Se3 colorFromDepth;
        try
        {
            colorFromDepth = ToSe3(tf.Lookup(colorFrame, depthFrame, colorStamps[0].Stamp));
        }
        catch (TfException e)
        {
            throw new MappingInputException($"{bagPath}: no transform from the depth frame '{depthFrame}' to the colour frame '{colorFrame}' on {topics.TfStatic}: {e.Message}");
        }

        // Pair each colour image with the nearest depth image, look up its pose.
        depthStamps.Sort();
        long windowStart = first + (long)(options.Sync.Start * 1e9);
        long windowEnd = options.Sync.End < 0 ? long.MaxValue : first + (long)(options.Sync.End * 1e9);
        long syncNs = (long)(options.Sync.Tolerance * 1e9);
        var tolerance = TimeSpan.FromSeconds(pose.Tolerance);
        var depthTimes = depthStamps.Select(d => d.Stamp).ToArray();
        var candidates = new List<FrameCandidate>();
        int inWindow = 0, noDepth = 0, noPose = 0;
        foreach (var (stamp, _) in colorStamps.OrderBy(c => c.Stamp))
        {
            if (stamp < windowStart || stamp > windowEnd)
                continue;
            inWindow++;
            long depth = Nearest(depthTimes, stamp);
            if (Math.Abs(depth - stamp) > syncNs)
            {
                noDepth++;
                continue;
            }
            try
            {
                var mapFromColor = ToSe3(tf.Lookup(options.Frames.Map, colorFrame, stamp, tolerance, nearbySamplesOnly: true));
                candidates.Add(new FrameCandidate(stamp, depth, mapFromColor));
            }
            catch (TfException e) when (e.Kind is TfErrorKind.Extrapolation or TfErrorKind.Gap)
            {
                noPose++;
            }
            catch (TfException e)
            {
                throw new MappingInputException($"{bagPath}: cannot get the pose of '{colorFrame}' in '{options.Frames.Map}' " +
                    $"(pose.source {pose.Source}{(poseFrame is null ? "" : $", poses of '{poseFrame}'")}): {e.Message}");
            }
        }
        if (inWindow == 0)
        {
            double earliest = (colorStamps.Min(c => c.Stamp) - first) * 1e-9, latest = (colorStamps.Max(c => c.Stamp) - first) * 1e-9;
            throw new MappingInputException($"{bagPath}: no colour image between sync.start {options.Sync.Start:0.###} s and sync.end " +
                $"{(options.Sync.End < 0 ? "(the end)" : $"{options.Sync.End:0.###} s")}; its images lie at {earliest:0.###}-{latest:0.###} s from the bag's first message");
        }
        progress?.Report(1);
        return new BagFrameSource(bagPath, options, candidates, inWindow, noDepth, noPose, colorCamera, depthCamera, colorFrame, colorFromDepth, warnings);
    }

    /// <summary>
    /// Second pass: decodes the colour and depth images of <paramref name="selected"/>, in stamp order. A frame
    /// whose colour or depth image cannot be decoded (a corrupt recording) is left out, so that one bad image
    /// does not end a long build: its warning (<see cref="FrameCandidate.LeftOut"/>, naming it <paramref name="what"/>,
    /// e.g. "keyframe") is added to <paramref name="leftOut"/> and passed to <paramref name="warning"/>.
    /// </summary>
    /// <exception cref="MappingInputException">An image's size differs from its camera_info's.</exception>
    public IEnumerable<RgbdFrame> ReadFrames(IReadOnlyList<FrameCandidate> selected, string what, List<string> leftOut, Action<string>? warning)
    {
        var pending = selected.OrderBy(c => c.ColorStamp).ToList();
        var wantedColor = pending.Select(c => c.ColorStamp).ToHashSet();
        var wantedDepth = pending.Select(c => c.DepthStamp).ToHashSet();
        var colors = new Dictionary<long, RgbImage>();
        var depths = new Dictionary<long, Image<float>>();
        var topics = _options.Topics;
        using var bag = Rosbag2Reader.Open(_bagPath);
        foreach (var message in bag.ReadMessages(new BagReadOptions(new HashSet<string> { topics.ColorImage, topics.DepthImage })))
        {
            if (pending.Count == 0)
                yield break;
            var (stamp, _) = DriveMessages.HeaderOf(message);
            bool isColor = message.Topic.Name == topics.ColorImage && wantedColor.Contains(stamp);
            bool isDepth = !isColor && message.Topic.Name == topics.DepthImage && wantedDepth.Contains(stamp);
            if (!isColor && !isDepth)
                continue;
            try
            {
                if (isColor)
                    colors[stamp] = DecodeColor(message);
                else
                    depths[stamp] = DecodeDepth(message);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException)
            {
                foreach (var lost in pending.Where(c => isColor ? c.ColorStamp == stamp : c.DepthStamp == stamp).ToList())
                {
                    pending.Remove(lost);
                    if (!pending.Any(p => p.ColorStamp == lost.ColorStamp))
                        colors.Remove(lost.ColorStamp);
                    if (!pending.Any(p => p.DepthStamp == lost.DepthStamp))
                        depths.Remove(lost.DepthStamp);
                    leftOut.Add(lost.LeftOut(what, $"{(isColor ? "colour" : "depth")} image undecodable: {e.Message}"));
                    warning?.Invoke(leftOut[^1]);
                }
                continue;
            }
            // Hand out every frame that is now complete and forget images no pending frame needs.
            for (int i = 0; i < pending.Count; i++)
            {
                var c = pending[i];
                if (!colors.TryGetValue(c.ColorStamp, out var color) || !depths.TryGetValue(c.DepthStamp, out var depth))
                    continue;
                pending.RemoveAt(i--);
                colors.Remove(c.ColorStamp);
                if (!pending.Any(p => p.DepthStamp == c.DepthStamp))
                    depths.Remove(c.DepthStamp);
                yield return new RgbdFrame(c.ColorStamp, color, ColorCamera, depth, DepthCamera, c.MapFromColor, ColorFromDepth);
            }
        }
    }

    private RgbImage DecodeColor(BagMessage message)
    {
        var image = DriveMessages.DecodeColor(message);
        if (image.Width != ColorCamera.Intrinsics.Width || image.Height != ColorCamera.Intrinsics.Height)
            throw new MappingInputException($"colour image is {image.Width}x{image.Height} but its camera_info says {ColorCamera.Intrinsics.Width}x{ColorCamera.Intrinsics.Height}");
        return image;
    }

    private Image<float> DecodeDepth(BagMessage message)
    {
        var image = DriveMessages.DecodeDepth(message);
        if (image.Width != DepthCamera.Intrinsics.Width || image.Height != DepthCamera.Intrinsics.Height)
            throw new MappingInputException($"depth image is {image.Width}x{image.Height} but its camera_info says {DepthCamera.Intrinsics.Width}x{DepthCamera.Intrinsics.Height}");
        return image;
    }

    private static CameraInfo Replace(CameraInfo? previous, CameraInfo next, string topic, List<string> warnings)
    {
        string changed = $"{topic}: camera_info changed during the drive; the last one is used";
        if (previous is not null && (previous.Width != next.Width || previous.Height != next.Height || !previous.K.SequenceEqual(next.K))
            && !warnings.Contains(changed))
            warnings.Add(changed);
        return next;
    }

    /// <summary>The value of <paramref name="sorted"/> (ascending, not empty) nearest to <paramref name="t"/>; the earlier one on a tie.</summary>
    public static long Nearest(long[] sorted, long t)
    {
        int i = Array.BinarySearch(sorted, t);
        if (i >= 0)
            return sorted[i];
        i = ~i;
        if (i == 0)
            return sorted[0];
        if (i == sorted.Length)
            return sorted[^1];
        return t - sorted[i - 1] <= sorted[i] - t ? sorted[i - 1] : sorted[i];
    }

    /// <summary>A ROS transform as a Core rigid transform.</summary>
    public static Se3 ToSe3(RigidTransform t) => Se3.FromQuaternion(
        new Quaterniond(t.Rotation.W, t.Rotation.X, t.Rotation.Y, t.Rotation.Z), new Vector3d(t.Translation.X, t.Translation.Y, t.Translation.Z));
}

/// <summary>The drive cannot be turned into a map as configured; the message says what is missing.</summary>
public sealed class MappingInputException(string message) : Exception(message);
