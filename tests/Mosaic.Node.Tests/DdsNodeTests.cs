using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Core.Geometry;
using Mosaic.Evaluation;
using Mosaic.Evaluation.Tests;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Node.Transport;
using Mosaic.Rendering;
using Mosaic.Ros;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tests;
using Mosaic.Ros.Tf;
using Mosaic.Transport.Dds;
using Mosaic.Transport.Dds.Tests;

namespace Mosaic.Node.Tests;

/// <summary>
/// The node on the Cyclone DDS transport, fed the committed redkitchen sample by another DDS participant playing
/// the robot (camera, odometry, an operator's initial pose) and answered with poses, map->odom and diagnostics.
/// </summary>
[Collection(nameof(Sample))]
public sealed class DdsNodeTests(Sample sample)
{
    [Fact]
    public async Task Over_DDS_the_node_localizes_every_frame_a_robot_publishes()
    {
        var messages = ReplayTests.SampleMessages(Sample.QueryStart, Sample.QueryStart + 0.3).OrderBy(m => m.Timestamp).ToList();
        var images = messages.Where(m => m.Topic.Name == ReplayTests.ImageTopic).ToList();
        var truth = new TfBuffer(TimeSpan.FromDays(1));
        DriveMessages.AddTum(truth, Sample.Tum, "map", "camera");
        var baseFromCamera = ReplayTests.BaseFromCamera(messages);
        Se3 TrueMapFromBase(long stamp) => BagFrameSource.ToSe3(truth.Lookup("map", "camera", stamp)) * baseFromCamera.Inverse();

        var domain = Loopback.NewDomain();
        var parameters = new LocalizationParameters { Map = sample.MapPath };
        using var transport = new DdsTransport(domain, Loopback.Config);
        var renderer = new CpuLabelRenderer<float>(sample.Map.Gaussians);
        var node = new LocalizationNode(parameters, new NodeNames("mosaic"), transport, sample.Map.Gaussians, Localizer.ForMap(sample.Map, parameters.Localizer, renderer),
            renderer, NullLogger.Instance, lockstep: false);
        using var stop = new CancellationTokenSource();
        var running = node.RunAsync(stop.Token);

        using var robot = Loopback.Participant(domain);
        // Deeper than the latched depth 1 the node offers, so that every pose published stays to be counted.
        var poses = robot.CreateReader("/mosaic/pose", PoseWithCovarianceStamped.Definition.Name, QosProfile.Latched with { Depth = 100 });
        var tf = robot.CreateReader("/tf", TFMessage.Definition.Name, QosProfile.Tf);
        var diagnostics = robot.CreateReader("/diagnostics", DiagnosticArray.Definition.Name, QosProfile.Default);
        // Joins after the node published its map: the cloud is latched. Deeper than the node's depth 1, so a
        // second cloud published later would be kept and counted.
        var mapCloud = robot.CreateReader("/mosaic/map_cloud", PointCloud2.Definition.Name, QosProfile.Latched with { Depth = 10 });
        var writers = new Dictionary<string, DdsWriter>
        {
            [ReplayTests.ImageTopic] = robot.CreateWriter(ReplayTests.ImageTopic, CompressedImage.Definition.Name, QosProfile.SensorData),
            [ReplayTests.InfoTopic] = robot.CreateWriter(ReplayTests.InfoTopic, CameraInfo.Definition.Name, QosProfile.SensorData),
            ["/odom"] = robot.CreateWriter("/odom", Odometry.Definition.Name, QosProfile.SensorData),
            ["/tf_static"] = robot.CreateWriter("/tf_static", TFMessage.Definition.Name, QosProfile.TfStatic),
            ["/initialpose"] = robot.CreateWriter("/initialpose", PoseWithCovarianceStamped.Definition.Name, QosProfile.Default),
        };
        Loopback.WaitUntil(() => writers.Values.All(w => w.MatchedReaders == 1) && poses.MatchedWriters == 1, "the node's endpoints");

        // The operator's initial pose at the first image, then the drive one image at a time (each with the camera_info
        // and odometry recorded up to the next image), waiting for the node's map -> odom before the next.
        long firstStamp = DriveMessages.HeaderOf(images[0]).Stamp;
        writers["/initialpose"].Write(RosSerializer.Serialize(new PoseWithCovarianceStamped(new Header(RosTime.FromNanoseconds(firstStamp), "map"),
            new PoseWithCovariance(RosConversions.ToPose(TrueMapFromBase(firstStamp)), new double[36]))));
        var transforms = new List<TFMessage>();
        int sent = 0;
        foreach (var message in messages.Cast<BagMessage?>().Append(null))
        {
            if (message is null || message.Value.Topic.Name == ReplayTests.ImageTopic && sent > 0)
            {
                int count = sent;
                Loopback.WaitUntil(() => Drain(tf, transforms) >= count, $"map -> odom for image {count}");
            }
            if (message is null)
                break;
            writers[message.Value.Topic.Name].Write(message.Value.Data.Span);
            if (message.Value.Topic.Name == ReplayTests.ImageTopic)
                sent++;
        }

        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10)); // the node stops promptly when cancelled

        Assert.Equal(images.Count, node.Statistics.FramesProcessed);
        Assert.Equal(0, node.FramesDropped);
        Assert.Equal(1, node.Statistics.InitialPosesApplied);
        Assert.All(transforms, t => Assert.Equal(("map", "odom"), (t.Transforms[0].Header.FrameId, t.Transforms[0].ChildFrameId)));
        // The same poses as mosaic eval gives for the same messages.
        using var temp = new TempDirectory();
        string bag = ReplayTests.WriteBag(temp.Combine("drive"), messages);
        var drive = QueryDrive.Scan(bag, parameters, new GroundTruthSource(Sample.Tum, null, ""));
        var evaluated = Evaluator.Run(drive, [EvaluationMode.Tracking], () => Localizer.ForMap(sample.Map, parameters.Localizer)).Modes[EvaluationMode.Tracking];
        var expected = evaluated.Where(f => f.Result.Accepted).ToDictionary(f => f.Frame.Stamp, f => f.Result.MapFromCamera!.Value);
        var received = new List<PoseWithCovarianceStamped>();
        while (poses.TryTake(out var pose))
            received.Add(RosSerializer.Deserialize<PoseWithCovarianceStamped>(pose.Data));
        Assert.NotEmpty(received);
        Assert.Equal(expected.Keys.Order(), received.Select(p => p.Header.Stamp.Nanoseconds).Order());
        foreach (var pose in received)
        {
            var (dt, dr) = Se3.Distance(RosConversions.FromPose(pose.Pose.Pose) * baseFromCamera, expected[pose.Header.Stamp.Nanoseconds]);
            Assert.True(dt < 1e-9 && dr < 1e-9, $"pose at {pose.Header.Stamp.Nanoseconds}: node and eval differ by {dt} m, {dr} rad");
        }

        Assert.True(mapCloud.TryTake(out var cloudSample));
        var cloud = RosSerializer.Deserialize<PointCloud2>(cloudSample.Data);
        Assert.Equal("map", cloud.Header.FrameId);
        Assert.Equal(RosConversions.MapCloud(sample.Map.Gaussians, cloud.Header).Data, cloud.Data);
        Assert.False(mapCloud.TryTake(out _), "the map is published once");

        Assert.True(diagnostics.TryTake(out var status));
        Assert.Equal("/mosaic: localization", RosSerializer.Deserialize<DiagnosticArray>(status.Data).Status.Single().Name);
    }

    private static int Drain(DdsReader reader, List<TFMessage> into)
    {
        while (reader.TryTake(out var sample))
            into.Add(RosSerializer.Deserialize<TFMessage>(sample.Data));
        return into.Count;
    }
}
