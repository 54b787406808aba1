using System.Globalization;
using Mosaic.Ros;
using Mosaic.Ros.Messages;

namespace Mosaic.Transport.Dds.Tests;

/// <summary>
/// Mosaic's raw-CDR endpoints against an independent ROS 2 peer (Peer/peer.c): Cyclone DDS with serializers
/// that idlc generated from the ROS message IDL, in another process, over the loopback network.
/// </summary>
public class IdlcPeerInteropTests
{
    private static readonly Header Stamped = new(new RosTime(1_700_000_000, 987_654_321), "map");

    [Fact]
    public void ThePeerDecodesPosesAndTransformsFieldForField()
    {
        var domain = Loopback.NewDomain();
        using var peer = new Peer(domain, "receive", "/mosaic/pose", "/tf", "2");
        using var participant = Loopback.Participant(domain);
        var poseWriter = participant.CreateWriter("/mosaic/pose", PoseWithCovarianceStamped.Definition.Name, QosProfile.Latched);
        var tfWriter = participant.CreateWriter("/tf", TFMessage.Definition.Name, QosProfile.Tf);
        Loopback.WaitUntil(() => poseWriter.MatchedReaders == 1 && tfWriter.MatchedReaders == 1, "the peer's readers");

        var covariance = Enumerable.Range(0, 36).Select(i => i * 0.001 - 0.017).ToArray();
        var pose = new PoseWithCovarianceStamped(Stamped, new PoseWithCovariance(
            new Pose(new Point(1.25, -3.5, 0.0625), new Quaternion(0.5, -0.5, 0.5, 0.5)), covariance));
        var tf = new TFMessage([
            new TransformStamped(Stamped, "odom", new Transform(new Vector3(0.1, 0.2, 0.3), new Quaternion(0, 0, 0.6, 0.8))),
            new TransformStamped(new Header(new RosTime(5, 6), "base_link"), "camera_optical",
                new Transform(new Vector3(-1e-9, 1e9, Math.PI), new Quaternion(-0.5, 0.5, -0.5, 0.5))),
        ]);
        poseWriter.Write(RosSerializer.Serialize(pose));
        tfWriter.Write(RosSerializer.Serialize(tf));

        var lines = new[] { peer.ReadLine(), peer.ReadLine() };
        peer.AssertExitedCleanly();
        var poseLine = Fields(lines.Single(l => l.StartsWith("pose ", StringComparison.Ordinal)));
        Assert.Equal(["1700000000", "987654321", "map"], poseLine[1..4]);
        Assert.Equal([1.25, -3.5, 0.0625, 0.5, -0.5, 0.5, 0.5], Doubles(poseLine[4..11]));
        Assert.Equal(covariance, Doubles(poseLine[11..]));

        var tfLine = Fields(lines.Single(l => l.StartsWith("tf ", StringComparison.Ordinal)));
        Assert.Equal("2", tfLine[1]);
        Assert.Equal(["1700000000", "987654321", "map", "odom"], tfLine[2..6]);
        Assert.Equal([0.1, 0.2, 0.3, 0, 0, 0.6, 0.8], Doubles(tfLine[6..13]));
        Assert.Equal(["5", "6", "base_link", "camera_optical"], tfLine[13..17]);
        Assert.Equal([-1e-9, 1e9, Math.PI, -0.5, 0.5, -0.5, 0.5], Doubles(tfLine[17..24]));
        Assert.Equal(24, tfLine.Length);
    }

    [Fact]
    public void MosaicDecodesTheImageCameraInfoAndOdometryThePeerPublishes()
    {
        var domain = Loopback.NewDomain();
        using var participant = Loopback.Participant(domain);
        var imageReader = participant.CreateReader("/camera/image_raw", Image.Definition.Name, QosProfile.Default);
        var infoReader = participant.CreateReader("/camera/camera_info", CameraInfo.Definition.Name, QosProfile.Default);
        var odomReader = participant.CreateReader("/odom", Odometry.Definition.Name, QosProfile.Default);
        using var peer = new Peer(domain, "publish", "/camera/image_raw", "/camera/camera_info", "/odom");

        var image = RosSerializer.Deserialize<Image>(Take(participant, imageReader).Data);
        var info = RosSerializer.Deserialize<CameraInfo>(Take(participant, infoReader).Data);
        var odometry = RosSerializer.Deserialize<Odometry>(Take(participant, odomReader).Data);
        peer.AssertExitedCleanly();

        var stamp = new Header(new RosTime(1_700_000_000, 123_456_789), "camera_optical");
        Assert.Equal(stamp, image.Header);
        Assert.Equal((48u, 64u, "rgb8", false, 192u), (image.Height, image.Width, image.Encoding, image.IsBigEndian, image.Step));
        Assert.Equal(Enumerable.Range(0, 64 * 48 * 3).Select(i => (byte)((i * 7 + 3) % 256)), image.Data);

        Assert.Equal(stamp, info.Header);
        Assert.Equal((480u, 640u, "rational_polynomial"), (info.Height, info.Width, info.DistortionModel));
        Assert.Equal([0.1, -0.2, 0.001, -0.002, 0.05, 0.01, -0.01, 0.002], info.D);
        Assert.Equal([525.5, 0, 319.5, 0, 526.25, 239.5, 0, 0, 1], info.K);
        Assert.Equal([1.0, 0, 0, 0, 1, 0, 0, 0, 1], info.R);
        Assert.Equal([525.5, 0, 319.5, 0, 0, 526.25, 239.5, 0, 0, 0, 1, 0], info.P);
        Assert.Equal((1u, 2u), (info.BinningX, info.BinningY));
        Assert.Equal(new RegionOfInterest(3, 4, 5, 6, true), info.Roi);

        Assert.Equal(new Header(new RosTime(1_700_000_001, 5), "odom"), odometry.Header);
        Assert.Equal("base_link", odometry.ChildFrameId);
        Assert.Equal(new Pose(new Point(1.5, -2.25, 0.125), new Quaternion(0.1, 0.2, 0.3, 0.9273618495495704)), odometry.Pose.Pose);
        Assert.Equal(Enumerable.Range(0, 36).Select(i => i * 0.5), odometry.Pose.Covariance);
        Assert.Equal(new Twist(new Vector3(0.5, 0, 0), new Vector3(0, 0, -0.25)), odometry.Twist.Twist);
        Assert.Equal(Enumerable.Range(0, 36).Select(i => -i * 0.25), odometry.Twist.Covariance);
    }

    [Fact]
    public void AMultiMegabyteImageSurvivesARoundTripThroughThePeer()
    {
        var domain = Loopback.NewDomain();
        using var participant = Loopback.Participant(domain);
        var echoed = participant.CreateReader("/echo/image_raw", Image.Definition.Name, QosProfile.Default);
        using var peer = new Peer(domain, "echo", "/camera/image_raw", "/echo/image_raw");
        var writer = participant.CreateWriter("/camera/image_raw", Image.Definition.Name, QosProfile.Default);
        Loopback.WaitUntil(() => writer.MatchedReaders == 1 && echoed.MatchedWriters == 1, "the peer's endpoints");

        var pixels = new byte[1024 * 768 * 3];
        new Random(7).NextBytes(pixels);
        var sent = RosSerializer.Serialize(new Image(Stamped with { FrameId = "camera_optical" }, 768, 1024, "rgb8", false, 1024 * 3, pixels));
        writer.Write(sent);

        var received = Take(participant, echoed);
        Assert.Equal($"echo 1024 768 rgb8 {pixels.Length}", peer.ReadLine());
        peer.AssertExitedCleanly();
        Assert.True(sent.Length > 2_000_000);
        // Both sides write the same plain little-endian CDR, so the bytes must come back identical.
        Assert.Equal(sent, received.Data);
    }

    [Fact]
    public void APeerJoiningLateReceivesTheLatchedPointCloudFieldForField()
    {
        var domain = Loopback.NewDomain();
        using var participant = Loopback.Participant(domain);
        var writer = participant.CreateWriter("/mosaic/map_cloud", PointCloud2.Definition.Name, QosProfile.Latched);
        var data = new byte[100_000 * 20];
        new Random(11).NextBytes(data);
        PointField[] fields =
        [
            new("x", 0, PointField.Float32, 1), new("y", 4, PointField.Float32, 1), new("z", 8, PointField.Float32, 1),
            new("rgb", 12, PointField.Float32, 1), new("label", 16, PointField.UInt32, 1),
        ];
        writer.Write(RosSerializer.Serialize(new PointCloud2(Stamped, 1, 100_000, fields, false, 20, (uint)data.Length, data, true)));

        // Written before the peer exists: only a transient-local reader gets it.
        using var peer = new Peer(domain, "cloud", "/mosaic/map_cloud");
        var line = Fields(peer.ReadLine());
        peer.AssertExitedCleanly();

        Assert.Equal(["cloud", "1700000000", "987654321", "map", "1", "100000", "0", "20", "2000000", "1", "2000000", Fnv1a(data), "5"], line[..13]);
        Assert.Equal(["x", "0", "7", "1", "y", "4", "7", "1", "z", "8", "7", "1", "rgb", "12", "7", "1", "label", "16", "6", "1"], line[13..]);
    }

    private static string Fnv1a(byte[] data)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in data)
            hash = (hash ^ b) * 1099511628211;
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    private static DdsSample Take(DdsParticipant participant, DdsReader reader)
    {
        DdsSample sample = default;
        Loopback.WaitUntil(() =>
        {
            participant.Wait(TimeSpan.FromMilliseconds(50));
            return reader.TryTake(out sample);
        }, $"a sample on {reader.Topic}");
        return sample;
    }

    private static string[] Fields(string line) => line.Split(' ');

    private static double[] Doubles(string[] fields) =>
        fields.Select(f => double.Parse(f, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
}
