using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Core.Imaging;
using Mosaic.Core.Geometry;
using Mosaic.Evaluation;
using Mosaic.Evaluation.Tests;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Node.Transport;
using Mosaic.Rendering;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tests;
using Mosaic.Ros.Tf;

namespace Mosaic.Node.Tests;

/// <summary>
/// The node over the bag replay transport on the committed redkitchen sample (real data; each test
/// localizes only a few frames to stay lean): the same poses as <c>mosaic eval</c>, and faults that
/// are reported while the node keeps going.
/// </summary>
[Collection(nameof(Sample))]
public sealed class ReplayTests(Sample sample) : IDisposable
{
    internal const string ImageTopic = "/camera/color/image_raw/compressed";
    internal const string InfoTopic = "/camera/color/camera_info";
    private readonly TempDirectory _temp = new();
    private int _runs;

    public void Dispose() => _temp.Dispose();

    internal const string DepthTopic = "/camera/depth/image_raw/compressedDepth";
    internal const string DepthInfoTopic = "/camera/depth/camera_info";

    /// <summary>
    /// The sample's messages on the node's input topics (with <paramref name="depth"/>, the depth camera's
    /// too) from <paramref name="from"/> to <paramref name="to"/> seconds, plus /tf_static and the
    /// camera_info before the window (the sample records each camera_info just after its image).
    /// </summary>
    internal static List<BagMessage> SampleMessages(double from, double to, bool depth = false)
    {
        using var bag = Rosbag2Reader.Open(Sample.Bag);
        var topics = new HashSet<string> { ImageTopic, InfoTopic, "/odom", "/tf_static" };
        string[] infos = depth ? [InfoTopic, DepthInfoTopic] : [InfoTopic];
        if (depth)
            topics.UnionWith([DepthTopic, DepthInfoTopic]);
        var all = bag.ReadMessages(new BagReadOptions(topics)).ToList();
        long first = all.Min(m => m.Timestamp);
        long start = first + (long)(from * 1e9), end = first + (long)(to * 1e9);
        var previousInfos = infos.Select(info => all.Last(m => m.Topic.Name == info && m.Timestamp < start));
        return all.Where(m => m.Topic.Name == "/tf_static" || m.Timestamp >= start && m.Timestamp <= end).Concat(previousInfos).ToList();
    }

    internal static string WriteBag(string path, IEnumerable<BagMessage> messages, int chunkSize = 4 << 20)
    {
        using var writer = Rosbag2Writer.Create(path, new Rosbag2WriterOptions { McapChunkSize = chunkSize });
        var declared = new HashSet<string>();
        foreach (var message in messages.OrderBy(m => m.Timestamp))
        {
            if (declared.Add(message.Topic.Name))
                writer.AddTopic(message.Topic, MessageRegistry.FindDefinition(message.Topic.Type)!.FullText());
            writer.Write(message.Topic.Name, message.Timestamp, message.Data.Span);
        }
        return path;
    }

    private static BagMessage Message<T>(string topic, long timestamp, T message) where T : IRosMessage<T> =>
        new(new BagTopic(topic, T.Definition.Name), timestamp, RosSerializer.Serialize(message));

    private (LocalizationNode Node, List<BagMessage> Published) RunNode(string bag, LocalizationParameters? parameters = null,
        NodeNames? names = null, ILogger? logger = null)
    {
        parameters ??= new LocalizationParameters { Map = sample.MapPath };
        string output = _temp.Combine($"out-{Path.GetFileName(bag)}-{++_runs}");
        var transport = new BagReplayTransport(bag, new BagReplayOptions(RecordPath: output));
        var renderer = new CpuLabelRenderer<float>(sample.Map.Gaussians);
        var node = new LocalizationNode(parameters, names ?? new NodeNames("mosaic"), transport, sample.Map.Gaussians, Localizer.ForMap(sample.Map, parameters.Localizer, renderer),
            renderer, logger ?? NullLogger.Instance, lockstep: true);
        node.RunAsync(CancellationToken.None).GetAwaiter().GetResult();
        transport.Dispose();
        using var recorded = Rosbag2Reader.Open(output);
        return (node, recorded.ReadMessages().ToList());
    }

    internal static Se3 BaseFromCamera(IEnumerable<BagMessage> messages)
    {
        var tf = new TfBuffer();
        tf.Add(Rosbag2Reader.Decode<TFMessage>(messages.First(m => m.Topic.Name == "/tf_static")), isStatic: true);
        return BagFrameSource.ToSe3(tf.Lookup("base_link", "camera_color_optical_frame", 0));
    }

    /// <summary>An operator's /initialpose at the first image of <paramref name="messages"/>, at its true pose, as eval's tracking mode starts.</summary>
    private static void AddInitialPose(List<BagMessage> messages)
    {
        var firstImage = messages.Where(m => m.Topic.Name == ImageTopic).MinBy(m => m.Timestamp);
        long stamp = DriveMessages.HeaderOf(firstImage).Stamp;
        var truth = new TfBuffer(TimeSpan.FromDays(1));
        DriveMessages.AddTum(truth, Sample.Tum, "map", "camera");
        var mapFromCamera = BagFrameSource.ToSe3(truth.Lookup("map", "camera", stamp));
        var initial = new PoseWithCovarianceStamped(new Header(RosTime.FromNanoseconds(stamp), "map"),
            new PoseWithCovariance(RosConversions.ToPose(mapFromCamera * BaseFromCamera(messages).Inverse()), new double[36]));
        messages.Add(Message("/initialpose", firstImage.Timestamp - 1, initial));
    }

    [Fact]
    public void Replayed_through_the_node_a_drive_gives_the_poses_of_mosaic_eval()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.4);
        AddInitialPose(messages);
        var baseFromCamera = BaseFromCamera(messages);
        string bag = WriteBag(_temp.Combine("drive"), messages);

        var (node, published) = RunNode(bag);
        var parameters = new LocalizationParameters();
        var drive = QueryDrive.Scan(bag, parameters, new GroundTruthSource(Sample.Tum, null, ""));
        var evaluated = Evaluator.Run(drive, [EvaluationMode.Tracking], () => Localizer.ForMap(sample.Map, parameters.Localizer)).Modes[EvaluationMode.Tracking];

        Assert.True(drive.Frames.Count >= 3);
        Assert.Equal(drive.Frames.Count, node.Statistics.FramesProcessed);
        Assert.Equal(1, node.Statistics.InitialPosesApplied);
        Assert.Contains("durability: transient_local", published.First(m => m.Topic.Name == "/mosaic/pose").Topic.OfferedQosProfiles); // latched
        var poses = published.Where(m => m.Topic.Name == "/mosaic/pose").Select(Rosbag2Reader.Decode<PoseWithCovarianceStamped>).ToDictionary(p => p.Header.Stamp.Nanoseconds);
        var accepted = evaluated.Where(f => f.Result.Accepted).ToList();
        Assert.NotEmpty(accepted);
        Assert.Equal(accepted.Select(f => f.Frame.Stamp).Order(), poses.Keys.Order());
        foreach (var frame in accepted)
        {
            var pose = poses[frame.Frame.Stamp];
            Assert.Equal("map", pose.Header.FrameId);
            var nodeMapFromCamera = RosConversions.FromPose(pose.Pose.Pose) * baseFromCamera;
            var (dt, dr) = Se3.Distance(nodeMapFromCamera, frame.Result.MapFromCamera!.Value);
            Assert.True(dt < 1e-9 && dr < 1e-9, $"frame {frame.Frame.Stamp}: node and eval differ by {dt} m, {dr} rad");
            Assert.True(pose.Pose.Covariance[0] > 0 && pose.Pose.Covariance[35] > 0, "an accepted pose carries its covariance");
        }

        // map -> odom on /tf, stamped image time + transform_tolerance (REP-105), one per frame once localized.
        var transforms = published.Where(m => m.Topic.Name == "/tf").Select(m => Rosbag2Reader.Decode<TFMessage>(m).Transforms.Single()).ToList();
        Assert.Equal(drive.Frames.Count, transforms.Count);
        Assert.All(transforms, t => Assert.Equal(("map", "odom"), (t.Header.FrameId, t.ChildFrameId)));
        Assert.Equal(drive.Frames[0].Stamp + 1_000_000_000L, transforms[0].Header.Stamp.Nanoseconds);
        var diagnostics = published.Where(m => m.Topic.Name == "/diagnostics").Select(Rosbag2Reader.Decode<DiagnosticArray>).ToList();
        var last = diagnostics[^1].Status.Single();
        Assert.Equal("/mosaic: localization", last.Name);
        Assert.Contains(last.Values, v => v.Key == "frames_processed" && v.Value == drive.Frames.Count.ToString());
        Assert.Contains(last.Values, v => v.Key == "poses_sharpened" && v.Value == evaluated.Count(f => f.Result.Sharpened is not null).ToString());
        Assert.Contains(last.Values, v => v.Key == "frames_refined_again" && v.Value == evaluated.Count(f => f.Result.RefinedAgain).ToString());
        // The drift the fusion assumes after the last frame, as eval's localizer learnt it on the same frames.
        Assert.Contains(last.Values, v => v.Key == "odometry_drift" && v.Value == evaluated[^1].Result.OdometryDrift.ToString("0.###", CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_map_is_published_once_as_a_latched_point_cloud_of_its_gaussians_in_the_map_frame()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.2).Where(m => m.Topic.Name != ImageTopic).ToList();
        string bag = WriteBag(_temp.Combine("map-cloud"), messages);

        var (node, published) = RunNode(bag);

        Assert.Equal(0, node.Statistics.FramesReceived);
        var recorded = Assert.Single(published, m => m.Topic.Name == "/mosaic/map_cloud");
        Assert.Contains("durability: transient_local", recorded.Topic.OfferedQosProfiles);
        Assert.Contains("reliability: reliable", recorded.Topic.OfferedQosProfiles);
        // Stamped, and recorded, at the drive's time: the first message replayed.
        long first = messages.Min(m => m.Timestamp);
        Assert.Equal(first, recorded.Timestamp);
        var cloud = Rosbag2Reader.Decode<PointCloud2>(recorded);
        Assert.Equal(new Header(RosTime.FromNanoseconds(first), "map"), cloud.Header);
        var map = sample.Map.Gaussians;
        Assert.Equal((1u, (uint)map.Count, 20u, 20u * (uint)map.Count, false, true),
            (cloud.Height, cloud.Width, cloud.PointStep, cloud.RowStep, cloud.IsBigEndian, cloud.IsDense));
        Assert.Equal(["x", "y", "z", "rgb", "label"], cloud.Fields.Select(f => f.Name));
        for (int i = 0; i < map.Count; i++)
        {
            var point = cloud.Data.AsSpan(i * 20, 20);
            for (int axis = 0; axis < 3; axis++)
                Assert.Equal(map.Positions[3 * i + axis], BinaryPrimitives.ReadSingleLittleEndian(point[(4 * axis)..]));
            var (r, g, b) = LabelPalette.Color(map.Labels[i]);
            Assert.Equal((uint)(r << 16 | g << 8 | b), BinaryPrimitives.ReadUInt32LittleEndian(point[12..]));
            Assert.Equal(map.Labels[i], BinaryPrimitives.ReadUInt32LittleEndian(point[16..]));
        }
    }

    [Fact]
    public void With_publish_map_cloud_off_no_map_cloud_is_advertised()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.2).Where(m => m.Topic.Name != ImageTopic).ToList();
        string bag = WriteBag(_temp.Combine("no-map-cloud"), messages);

        var (_, published) = RunNode(bag, new LocalizationParameters { Map = sample.MapPath, Publish = { MapCloud = false } });

        Assert.DoesNotContain(published, m => m.Topic.Name == "/mosaic/map_cloud");
        Assert.Contains(published, m => m.Topic.Name == "/diagnostics");
    }

    [Fact]
    public void With_a_depth_topic_the_node_depth_refines_poses_as_mosaic_eval_does()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.3, depth: true);
        AddInitialPose(messages);
        string bag = WriteBag(_temp.Combine("rgbd"), messages);
        var parameters = new LocalizationParameters { Map = sample.MapPath, Topics = { Depth = DepthTopic } };

        var (node, published) = RunNode(bag, parameters);
        var drive = QueryDrive.Scan(bag, parameters, new GroundTruthSource(Sample.Tum, null, ""));
        var evaluated = Evaluator.Run(drive, [EvaluationMode.Tracking], () => Localizer.ForMap(sample.Map, parameters.Localizer)).Modes[EvaluationMode.Tracking];

        Assert.Equal(drive.Frames.Count, node.Statistics.FramesProcessed);
        Assert.Equal(0, node.Statistics.FramesWithoutDepth);
        Assert.Equal(0, drive.WithoutDepth);
        var refined = evaluated.Where(f => f.Result.DepthRefined).ToList();
        Assert.NotEmpty(refined);
        Assert.Equal(refined.Count, node.Statistics.PosesDepthRefined);
        var baseFromCamera = BaseFromCamera(messages);
        Assert.Contains("durability: transient_local", published.First(m => m.Topic.Name == "/mosaic/pose").Topic.OfferedQosProfiles); // latched
        var poses = published.Where(m => m.Topic.Name == "/mosaic/pose").Select(Rosbag2Reader.Decode<PoseWithCovarianceStamped>).ToDictionary(p => p.Header.Stamp.Nanoseconds);
        foreach (var frame in refined)
        {
            var nodeMapFromCamera = RosConversions.FromPose(poses[frame.Frame.Stamp].Pose.Pose) * baseFromCamera;
            var (dt, dr) = Se3.Distance(nodeMapFromCamera, frame.Result.MapFromCamera!.Value);
            Assert.True(dt < 1e-9 && dr < 1e-9, $"frame {frame.Frame.Stamp}: node and eval differ by {dt} m, {dr} rad");
        }
        var last = published.Where(m => m.Topic.Name == "/diagnostics").Select(Rosbag2Reader.Decode<DiagnosticArray>).Last().Status.Single();
        Assert.Contains(last.Values, v => v.Key == "poses_depth_refined" && v.Value == refined.Count.ToString());
    }

    [Fact]
    public void Without_depth_images_on_the_depth_topic_frames_are_localized_from_colour_alone_and_counted()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.2);
        AddInitialPose(messages);
        string bag = WriteBag(_temp.Combine("no-depth"), messages);
        var parameters = new LocalizationParameters { Map = sample.MapPath, Topics = { Depth = DepthTopic } };

        var (node, published) = RunNode(bag, parameters);

        Assert.True(node.Statistics.FramesProcessed >= 2);
        Assert.Equal(node.Statistics.FramesProcessed, node.Statistics.FramesWithoutDepth);
        Assert.Equal(0, node.Statistics.PosesDepthRefined);
        Assert.Equal(node.Statistics.PosesAccepted, published.Count(m => m.Topic.Name == "/mosaic/pose"));
        Assert.True(node.Statistics.PosesAccepted > 0);
        Assert.Contains("no depth image on " + DepthTopic, node.Statistics.LastProblem);
    }

    [Fact]
    public void A_replay_without_images_on_the_image_topic_says_which_topic_to_set_and_a_remap_fixes_it()
    {
        const string elsewhere = "/front/image_raw/compressed";
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.1)
            .Select(m => m.Topic.Name == ImageTopic ? m with { Topic = m.Topic with { Name = elsewhere } } : m).ToList();
        string bag = WriteBag(_temp.Combine("renamed"), messages);
        var logger = new WarningLog();

        var (node, _) = RunNode(bag, logger: logger);

        Assert.Equal(0, node.Statistics.FramesReceived);
        Assert.Contains(logger.Warnings, w => w.StartsWith($"input ended without an image on {ImageTopic} (topics.image)", StringComparison.Ordinal)
                                             && w.Contains($"-r {ImageTopic}:=TOPIC"));

        var (remapped, _) = RunNode(bag, names: new NodeNames("mosaic", remaps: [(null, ImageTopic, elsewhere)]));
        Assert.True(remapped.Statistics.FramesReceived > 0);
    }

    [Fact]
    public void Frames_without_odometry_are_localized_counted_and_logged()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.2).Where(m => m.Topic.Name != "/odom").ToList();
        string bag = WriteBag(_temp.Combine("no-odometry"), messages);
        var logger = new WarningLog();

        var (node, _) = RunNode(bag, logger: logger);

        Assert.True(node.Statistics.FramesProcessed >= 2);
        Assert.Equal(node.Statistics.FramesProcessed, node.Statistics.FramesWithoutOdometry);
        // The 1st, 10th, 100th ... are logged, so a robot without odometry does not flood the log.
        Assert.Single(logger.Warnings, w => w.StartsWith("frame localized without odometry (#1): ", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Warnings, w => w.StartsWith("frame localized without odometry (#2)", StringComparison.Ordinal));
    }

    /// <summary>
    /// <paramref name="pass"/> twice, as <c>ros2 bag play --loop</c> delivers it: the same messages again, received
    /// half a second after the first pass ends, with the stamps they were recorded with. Also returns when the
    /// second pass begins (receive time).
    /// </summary>
    private static (List<BagMessage> Messages, long SecondPassAt) Looped(List<BagMessage> pass)
    {
        Assert.True(pass.Max(m => m.Timestamp) - pass.Where(m => m.Topic.Name == ImageTopic).Min(m => m.Timestamp) > 1.2 * TimeJumps.Threshold.TotalSeconds * 1e9,
            "a loop shorter than the threshold is not a jump");
        long first = pass.Min(m => m.Timestamp), shift = pass.Max(m => m.Timestamp) + 500_000_000 - first;
        return ([.. pass, .. pass.Select(m => m with { Timestamp = m.Timestamp + shift })], first + shift);
    }

    /// <summary><paramref name="messages"/> with only every <paramref name="n"/>-th image, so that a loop of seconds stays lean.</summary>
    private static List<BagMessage> EveryNthImage(List<BagMessage> messages, int n)
    {
        var dropped = messages.Where(m => m.Topic.Name == ImageTopic).OrderBy(m => m.Timestamp).Where((_, i) => i % n != 0).ToHashSet();
        return messages.Where(m => !dropped.Contains(m)).ToList();
    }

    [Fact]
    public void A_drive_replayed_in_a_loop_is_localized_again_from_scratch_as_the_first_time()
    {
        // 11.8 s of the drive, longer than the 10 s of odometry history kept: without clearing that history when
        // time goes back, the second pass's odometry samples fall before the first pass's last 10 s and are
        // dropped, and its first images have none. An image every 2 s keeps it lean.
        var pass = EveryNthImage(SampleMessages(8.0, 19.8), 12);
        var (messages, _) = Looped(pass);
        string bag = WriteBag(_temp.Combine("loop"), messages);
        var logger = new WarningLog();

        var (node, published) = RunNode(bag, logger: logger);

        Assert.Equal(1, node.Statistics.TimeJumpsBack);
        Assert.Equal(0, node.Statistics.FramesWithoutOdometry);
        Assert.Single(logger.Warnings, w => w.StartsWith("time went back ", StringComparison.Ordinal) && w.Contains("a bag replayed in a loop"));
        var diagnostics = Rosbag2Reader.Decode<DiagnosticArray>(published.Last(m => m.Topic.Name == "/diagnostics")).Status.Single();
        Assert.Contains(diagnostics.Values, v => v.Key == "time_jumps_back" && v.Value == "1");

        // The pose was forgotten at the jump, so the second pass is localized as the first was, from retrieval,
        // to the bit. The first pass's last images may be overtaken by the loop and skipped. Poses are published
        // in the order images are localized: the second pass starts where the stamps go back.
        var poses = published.Where(m => m.Topic.Name == "/mosaic/pose").Select(m => Rosbag2Reader.Decode<PoseWithCovarianceStamped>(m)).ToList();
        int loop = Enumerable.Range(1, poses.Count - 1).First(i => poses[i].Header.Stamp.Nanoseconds < poses[i - 1].Header.Stamp.Nanoseconds);
        var firstPass = poses[..loop].ToDictionary(p => p.Header.Stamp.Nanoseconds, p => p.Pose);
        var secondPass = poses[loop..].ToDictionary(p => p.Header.Stamp.Nanoseconds, p => p.Pose);
        Assert.True(firstPass.Count >= 2);
        Assert.Subset(secondPass.Keys.ToHashSet(), firstPass.Keys.ToHashSet());
        foreach (var (stamp, pose) in firstPass)
        {
            Assert.Equal(pose.Pose, secondPass[stamp].Pose);
            Assert.Equal(pose.Covariance, secondPass[stamp].Covariance);
        }
    }

    [Fact]
    public void One_image_stamped_seconds_in_the_past_is_dropped_and_costs_neither_the_pose_nor_the_odometry_history()
    {
        var drive = EveryNthImage(SampleMessages(8.0, 19.8), 12);
        var images = drive.Where(m => m.Topic.Name == ImageTopic).OrderBy(m => m.Timestamp).ToList();
        // The first image again, received halfway through: its header lies seconds behind the newest image's.
        var stray = images[0] with { Timestamp = images[images.Count / 2].Timestamp + 1 };
        Assert.True(DriveMessages.HeaderOf(images[images.Count / 2]).Stamp - DriveMessages.HeaderOf(stray).Stamp > 2 * TimeJumps.Threshold.TotalSeconds * 1e9);
        string clean = WriteBag(_temp.Combine("no-stray"), drive);
        string withStray = WriteBag(_temp.Combine("stray"), [.. drive.Append(stray).OrderBy(m => m.Timestamp)]);
        var logger = new WarningLog();

        var (node, published) = RunNode(withStray, logger: logger);
        var (cleanNode, cleanPublished) = RunNode(clean);

        Assert.Equal(0, node.Statistics.TimeJumpsBack);
        Assert.Equal(1, node.Statistics.StaleStampsDropped);
        Assert.Equal(cleanNode.Statistics.FramesProcessed, node.Statistics.FramesProcessed);
        Assert.Single(logger.Warnings, w => w.StartsWith("a message more than 1 s older than its stream's newest was dropped", StringComparison.Ordinal));
        var diagnostics = Rosbag2Reader.Decode<DiagnosticArray>(published.Last(m => m.Topic.Name == "/diagnostics")).Status.Single();
        Assert.Contains(diagnostics.Values, v => v.Key == "stale_stamps_dropped" && v.Value == "1");
        // Every pose as without the stray: the pose was kept and the odometry history not cleared.
        List<PoseWithCovarianceStamped> Poses(List<BagMessage> messages) =>
            messages.Where(m => m.Topic.Name == "/mosaic/pose").Select(Rosbag2Reader.Decode<PoseWithCovarianceStamped>).ToList();
        var (poses, cleanPoses) = (Poses(published), Poses(cleanPublished));
        Assert.NotEmpty(cleanPoses);
        Assert.Equal(cleanPoses.Select(p => p.Header.Stamp.Nanoseconds), poses.Select(p => p.Header.Stamp.Nanoseconds));
        Assert.Equal(cleanPoses.Select(p => p.Pose.Pose), poses.Select(p => p.Pose.Pose));
    }

    [Fact]
    public void In_lockstep_a_drive_whose_images_stop_while_odometry_goes_on_keeps_the_odometry_of_its_last_images()
    {
        // Images in the first 0.7 s, odometry for 11.8 s: while the last image is localized, the transport must
        // not deliver the next 10 s of odometry, which would push the samples around that image out of the history.
        var drive = SampleMessages(8.0, 19.8);
        long imagesUntil = drive.Where(m => m.Topic.Name == ImageTopic).Min(m => m.Timestamp) + 700_000_000;
        string bag = WriteBag(_temp.Combine("images-stop"), drive.Where(m => m.Topic.Name != ImageTopic || m.Timestamp <= imagesUntil).ToList());

        var (node, _) = RunNode(bag);

        Assert.Equal(5, node.Statistics.FramesProcessed);
        Assert.Equal(0, node.Statistics.FramesWithoutOdometry);
    }

    [Fact]
    public void With_use_sim_time_a_clock_that_goes_back_keeps_diagnostics_coming_and_counts_one_jump()
    {
        var pass = EveryNthImage(SampleMessages(Sample.QueryStart, Sample.QueryStart + 1.5), 2);
        // ros2 bag play --clock: /clock carries the recorded time, here just before each image.
        pass.AddRange(pass.Where(m => m.Topic.Name == ImageTopic)
            .Select(m => Message("/clock", m.Timestamp - 1, new Clock(RosTime.FromNanoseconds(DriveMessages.HeaderOf(m).Stamp)))).ToList());
        var (messages, secondPassAt) = Looped(pass);
        string bag = WriteBag(_temp.Combine("loop-sim-time"), messages);

        var (node, published) = RunNode(bag, new LocalizationParameters { Map = sample.MapPath, UseSimTime = true, Publish = { DiagnosticsPeriod = 0.05 } });

        // /clock, images and odometry all go back at the loop; it is one jump.
        Assert.Equal(1, node.Statistics.TimeJumpsBack);
        Assert.Equal(0, node.Statistics.FramesWithoutOdometry);
        // The clock of the second pass lies behind the first pass's last diagnostics; they go on all the same,
        // stamped with /clock time, not only once at the end of the run.
        var secondPass = published.Where(m => m.Topic.Name == "/diagnostics" && m.Timestamp >= secondPassAt)
            .Select(m => Rosbag2Reader.Decode<DiagnosticArray>(m).Header.Stamp.Nanoseconds).ToList();
        long firstImage = pass.Where(m => m.Topic.Name == ImageTopic).Min(m => DriveMessages.HeaderOf(m).Stamp);
        long lastImage = pass.Where(m => m.Topic.Name == ImageTopic).Max(m => DriveMessages.HeaderOf(m).Stamp);
        Assert.True(secondPass.Count >= 3, $"{secondPass.Count} diagnostics in the second pass");
        Assert.All(secondPass, stamp => Assert.InRange(stamp, firstImage, lastImage));
    }

    /// <summary>
    /// A parked camera: the sample's first query image and its odometry, sent again every 100 ms for 2.5 s with
    /// new stamps (26 frames), with camera_info and /tf_static.
    /// </summary>
    private static List<BagMessage> Parked()
    {
        var window = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.05);
        var image = window.First(m => m.Topic.Name == ImageTopic);
        var compressed = Rosbag2Reader.Decode<CompressedImage>(image);
        var odometry = Rosbag2Reader.Decode<Odometry>(window.First(m => m.Topic.Name == "/odom" && Rosbag2Reader.Decode<Odometry>(m).Header.Stamp == compressed.Header.Stamp));
        var messages = window.Where(m => m.Topic.Name is "/tf_static" || m.Topic.Name == InfoTopic && m.Timestamp < image.Timestamp).ToList();
        for (int k = 0; k <= 25; k++)
        {
            long shift = k * 100_000_000L;
            var stamp = RosTime.FromNanoseconds(compressed.Header.Stamp.Nanoseconds + shift);
            messages.Add(Message(ImageTopic, image.Timestamp + shift, compressed with { Header = compressed.Header with { Stamp = stamp } }));
            messages.Add(Message("/odom", image.Timestamp + shift + 1, odometry with { Header = odometry.Header with { Stamp = stamp } }));
        }
        return messages;
    }

    [Fact]
    public void A_parked_camera_is_refined_once_a_second_and_its_other_frames_are_not_even_segmented()
    {
        string bag = WriteBag(_temp.Combine("parked"), Parked());

        var (node, published) = RunNode(bag);

        // Refined at 0 s (relocalised by retrieval), 1 s and 2 s (localizer.update_max_interval); every other frame
        // keeps the odometry prediction (localizer.update_min_translation).
        Assert.Equal(26, node.Statistics.FramesProcessed);
        Assert.Equal(3, node.Statistics.PosesAccepted + node.Statistics.PosesRejected);
        Assert.Equal(23, node.Statistics.FramesNotMoved);
        var last = Rosbag2Reader.Decode<DiagnosticArray>(published.Last(m => m.Topic.Name == "/diagnostics")).Status.Single();
        Assert.Contains(last.Values, v => v.Key == "frames_not_moved" && v.Value == "23");
        Assert.Equal(node.Statistics.PosesAccepted, published.Count(m => m.Topic.Name == "/mosaic/pose"));
        // map -> odom is re-sent after every frame all the same.
        Assert.Equal(26, published.Count(m => m.Topic.Name == "/tf"));

        var (everyFrame, _) = RunNode(bag, new LocalizationParameters { Map = sample.MapPath, Localizer = new LocalizerOptions { UpdateMinTranslation = 0 } });
        Assert.Equal(26, everyFrame.Statistics.PosesAccepted + everyFrame.Statistics.PosesRejected);
        Assert.Equal(0, everyFrame.Statistics.FramesNotMoved);
    }

    [Fact]
    public void Odometry_worse_than_configured_is_learnt_by_tracking_and_warned_about_once()
    {
        // The query half's odometry with every step 60 % too long (a wheel-radius error): the fixes keep correcting
        // it by more than a 5 % drift explains, so tracking's fusion comes to assume more.
        var messages = EveryNthImage(SampleMessages(Sample.QueryStart, Sample.QueryStart + 6), 3);
        var odometry = messages.Where(m => m.Topic.Name == "/odom").ToHashSet();
        var origin = Rosbag2Reader.Decode<Odometry>(odometry.MinBy(m => m.Timestamp)!).Pose.Pose.Position;
        var scaled = messages.Select(m =>
        {
            if (!odometry.Contains(m))
                return m;
            var o = Rosbag2Reader.Decode<Odometry>(m);
            var p = o.Pose.Pose.Position;
            var longer = new Point(origin.X + 1.6 * (p.X - origin.X), origin.Y + 1.6 * (p.Y - origin.Y), origin.Z + 1.6 * (p.Z - origin.Z));
            return Message("/odom", m.Timestamp, o with { Pose = o.Pose with { Pose = o.Pose.Pose with { Position = longer } } });
        }).ToList();
        AddInitialPose(scaled);
        var logger = new WarningLog();

        var (_, published) = RunNode(WriteBag(_temp.Combine("long-odometry"), scaled), logger: logger);

        var last = Rosbag2Reader.Decode<DiagnosticArray>(published.Last(m => m.Topic.Name == "/diagnostics")).Status.Single();
        double drift = double.Parse(last.Values.Single(v => v.Key == "odometry_drift").Value, CultureInfo.InvariantCulture);
        Assert.True(drift > 0.05, $"learnt drift {drift}");
        Assert.Single(logger.Warnings, w => w.StartsWith("tracking now assumes the odometry drifts ", StringComparison.Ordinal)
            && w.Contains("more than localizer.odometry_drift 5"));
    }

    [Fact]
    public async Task A_live_node_without_images_warns_which_topic_it_waits_on_until_they_come()
    {
        var parameters = new LocalizationParameters { Map = sample.MapPath, Publish = { DiagnosticsPeriod = 0.05 } };
        var renderer = new CpuLabelRenderer<float>(sample.Map.Gaussians);
        var logger = new WarningLog();
        var node = new LocalizationNode(parameters, new NodeNames("mosaic"), new SilentTransport(), sample.Map.Gaussians,
            Localizer.ForMap(sample.Map, parameters.Localizer, renderer), renderer, logger, lockstep: false) { NoImageWarningAfter = TimeSpan.FromMilliseconds(200) };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));

        await node.RunAsync(stop.Token);

        Assert.Contains(logger.Warnings, w => w.StartsWith($"no image on {ImageTopic} (topics.image) after ", StringComparison.Ordinal)
                                             && w.Contains($"-r {ImageTopic}:=TOPIC"));
    }

    /// <summary>A live link on which nothing is ever published.</summary>
    private sealed class SilentTransport : ITransport
    {
        public string Description => "a silent network";
        public long Now => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        public IReadOnlyList<string> Warnings => [];
        public void Subscribe(string topic, string type, Ros.QosProfile qos, Action<TransportMessage> handler) { }
        public IPublisher Advertise(string topic, string type, string definition, Ros.QosProfile qos) => new Discard(topic);
        public Task RunAsync(CancellationToken cancellation) => Task.Delay(Timeout.Infinite, cancellation);
        public void Dispose() { }

        private sealed record Discard(string Topic) : IPublisher
        {
            public void Publish(ReadOnlyMemory<byte> data) { }
        }
    }

    private sealed class WarningLog : ILogger
    {
        private readonly List<string> _warnings = [];

        /// <summary>The warnings so far (the transport and processing threads both log).</summary>
        public List<string> Warnings
        {
            get
            {
                lock (_warnings)
                    return [.. _warnings];
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                lock (_warnings)
                    _warnings.Add(formatter(state, exception));
            }
        }
    }

    [Fact]
    public void The_first_image_waits_for_the_camera_infos_that_follow_it_and_its_depth()
    {
        // As recorded: each camera_info just after its image, and none before the first.
        var window = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.2, depth: true);
        long start = window.Where(m => m.Topic.Name == ImageTopic).Min(m => m.Timestamp);
        var messages = window.Where(m => m.Topic.Name is not (InfoTopic or DepthInfoTopic) || m.Timestamp >= start).ToList();
        Assert.True(messages.Where(m => m.Topic.Name is InfoTopic or DepthInfoTopic).Min(m => m.Timestamp) >= start);
        string bag = WriteBag(_temp.Combine("info-after-image"), messages);

        var (node, _) = RunNode(bag, new LocalizationParameters { Map = sample.MapPath, Topics = { Depth = DepthTopic } });

        Assert.True(node.Statistics.FramesReceived >= 2);
        Assert.Equal(0, node.Statistics.FramesSkipped);
        Assert.Equal(node.Statistics.FramesReceived, node.Statistics.FramesProcessed);
        Assert.Equal(0, node.Statistics.FramesWithoutDepth);
    }

    [Fact]
    public void Faulty_input_is_counted_and_reported_while_the_node_keeps_localizing()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.1);
        var image = messages.First(m => m.Topic.Name == ImageTopic);
        var info = messages.First(m => m.Topic.Name == InfoTopic);
        long t = image.Timestamp;
        var compressed = Rosbag2Reader.Decode<CompressedImage>(image);
        var faults = new List<BagMessage>
        {
            // An image before any camera_info.
            image with { Timestamp = t - 60_000_000 },
            // Garbage: a CDR header, then a string length far beyond the buffer.
            new(image.Topic, t - 50_000_000, new byte[] { 0, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2 }),
            new(new BagTopic("/odom", Odometry.Definition.Name), t - 40_000_000, new byte[] { 0, 1, 0, 0, 9 }),
            // An initial pose in the odometry frame instead of the map frame.
            Message("/initialpose", t - 30_000_000, new PoseWithCovarianceStamped(new Header(compressed.Header.Stamp, "odom"),
                new PoseWithCovariance(new Pose(new Point(0, 0, 0), Quaternion.Identity), new double[36]))),
            // An image from a camera frame no transform knows.
            Message(ImageTopic, t - 20_000_000, compressed with { Header = compressed.Header with { FrameId = "nowhere" } }),
        };
        // camera_info arrives only after the first image, and after the next image too, so the first one
        // stops waiting for it.
        messages.RemoveAll(m => m.Topic.Name == InfoTopic);
        messages.Add(info with { Timestamp = t - 45_000_000 });
        string bag = WriteBag(_temp.Combine("faults"), messages.Concat(faults));

        var (node, published) = RunNode(bag);

        var statistics = node.Statistics;
        Assert.Equal(4, statistics.FramesReceived);
        Assert.Equal(1, statistics.FramesProcessed);
        Assert.Equal(3, statistics.FramesSkipped);
        Assert.Equal(1, statistics.BadMessages[ImageTopic]);
        Assert.Equal(1, statistics.BadMessages["/odom"]);
        Assert.Equal(1, statistics.InitialPosesRefused);
        Assert.Null(statistics.InputError);
        var diagnostics = published.Where(m => m.Topic.Name == "/diagnostics").Select(m => Rosbag2Reader.Decode<DiagnosticArray>(m).Status.Single()).ToList();
        Assert.Contains(diagnostics, d => d.Message == "waiting for camera_info" && d.Level == DiagnosticStatus.Warn);
        var values = diagnostics[^1].Values.ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("2", values["bad_messages"]);
        Assert.Equal("1", values["initial_poses_refused"]);
        Assert.Equal("3", values["frames_skipped"]);
        Assert.Contains(diagnostics.SelectMany(d => d.Values), v => v.Key == "last_problem" && v.Value.Contains("'nowhere'"));
    }

    [Fact]
    public void A_bag_cut_off_mid_record_is_reported_and_what_came_before_is_still_localized()
    {
        var messages = SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.2);
        string bag = WriteBag(_temp.Combine("whole"), messages, chunkSize: 16 << 10);
        string mcap = Directory.GetFiles(bag, "*.mcap").Single();
        var bytes = File.ReadAllBytes(mcap);
        // Cut inside the second image's chunk: the summary and the end magic are gone too.
        string cut = _temp.Combine("cut.mcap");
        File.WriteAllBytes(cut, bytes[..(int)(bytes.Length * 0.75)]);

        var (node, published) = RunNode(cut, new LocalizationParameters { Map = sample.MapPath, Odometry = { Source = "none" } });

        Assert.True(node.Statistics.FramesProcessed >= 1);
        Assert.Contains(node.Statistics.InputWarnings, w => w.Contains("truncated"));
        var last = Rosbag2Reader.Decode<DiagnosticArray>(published.Last(m => m.Topic.Name == "/diagnostics")).Status.Single();
        Assert.Equal(DiagnosticStatus.Warn, last.Level);
        Assert.StartsWith("input damaged", last.Message);
    }
}
