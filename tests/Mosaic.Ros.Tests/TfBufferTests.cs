using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Ros.Tests;

public class TfBufferTests
{
    private static TransformStamped T(string parent, string child, long ns, double x, Quaternion q) =>
        new(new Header(RosTime.FromNanoseconds(ns), parent), child, new Transform(new Vector3(x, 0, 0), q));

    private static Quaternion Yaw(double radians) => new(0, 0, Math.Sin(radians / 2), Math.Cos(radians / 2));

    [Fact]
    public void Chains_compose_through_the_common_parent()
    {
        var tf = new TfBuffer();
        tf.Add(T("map", "odom", 0, 1, Yaw(Math.PI / 2)), isStatic: true);
        tf.Add(T("odom", "base_link", 0, 2, Quaternion.Identity), isStatic: true);
        tf.Add(T("base_link", "camera", 0, 0.5, Quaternion.Identity), isStatic: true);
        var mapFromCamera = tf.Lookup("map", "camera", 123);
        // odom is rotated 90 deg about z: base_link at odom x = 2 is at map (1, 2); camera 0.5 further along.
        Assert.Equal(1, mapFromCamera.Translation.X, 12);
        Assert.Equal(2.5, mapFromCamera.Translation.Y, 12);
        var cameraFromMap = tf.Lookup("camera", "map", 123);
        var roundTrip = cameraFromMap.Compose(mapFromCamera);
        Assert.Equal(0, roundTrip.Translation.X, 12);
        Assert.Equal(1, Math.Abs(roundTrip.Rotation.W), 12);
    }

    [Fact]
    public void Dynamic_edges_interpolate_translation_and_slerp_rotation()
    {
        var tf = new TfBuffer();
        tf.Add(T("odom", "base_link", 1_000_000_000, 0, Yaw(0)), isStatic: false);
        tf.Add(T("odom", "base_link", 2_000_000_000, 2, Yaw(Math.PI / 2)), isStatic: false);
        var mid = tf.Lookup("odom", "base_link", 1_500_000_000);
        Assert.Equal(1, mid.Translation.X, 12);
        Assert.Equal(Math.Cos(Math.PI / 8), mid.Rotation.W, 12);
    }

    [Fact]
    public void Extrapolation_beyond_the_tolerance_is_an_error_naming_the_edge()
    {
        var tf = new TfBuffer();
        tf.Add(T("odom", "base_link", 1_000_000_000, 0, Quaternion.Identity), isStatic: false);
        tf.Add(T("odom", "base_link", 2_000_000_000, 1, Quaternion.Identity), isStatic: false);
        var error = Assert.Throws<TfException>(() => tf.Lookup("odom", "base_link", 2_500_000_000));
        Assert.Equal(TfErrorKind.Extrapolation, error.Kind);
        Assert.Contains("'odom' -> 'base_link'", error.Message);
        Assert.Equal(1, tf.Lookup("odom", "base_link", 2_500_000_000, TimeSpan.FromSeconds(1)).Translation.X);
    }

    [Fact]
    public void A_lookup_for_nearby_samples_only_refuses_to_interpolate_across_a_dropout()
    {
        var tf = new TfBuffer();
        tf.Add(T("map", "camera", 1_000_000_000, 0, Quaternion.Identity), isStatic: false);
        tf.Add(T("map", "camera", 1_030_000_000, 0.03, Quaternion.Identity), isStatic: false);
        tf.Add(T("map", "camera", 3_000_000_000, 2, Quaternion.Identity), isStatic: false);
        var tolerance = TimeSpan.FromMilliseconds(50);

        Assert.Equal(0.015, tf.Lookup("map", "camera", 1_015_000_000, tolerance, nearbySamplesOnly: true).Translation.X, 9);
        var error = Assert.Throws<TfException>(() => tf.Lookup("map", "camera", 2_000_000_000, tolerance, nearbySamplesOnly: true));
        Assert.Equal(TfErrorKind.Gap, error.Kind);
        Assert.Contains("1.970 s gap", error.Message);
        // Near one end of the gap the pose is (almost) that sample's.
        Assert.Equal(0.03 + 0.04 / 1.97 * 1.97, tf.Lookup("map", "camera", 1_070_000_000, TimeSpan.FromMilliseconds(40), nearbySamplesOnly: true).Translation.X, 9);
        // tf2's own rule interpolates across it.
        Assert.Equal(1.0, tf.Lookup("map", "camera", 2_000_000_000, tolerance).Translation.X, 9);
    }

    [Fact]
    public void After_time_jumps_back_only_a_buffer_cleared_of_dynamic_history_keeps_the_new_samples()
    {
        var tf = new TfBuffer();
        tf.Add(T("base_link", "camera", 0, 0.5, Quaternion.Identity), isStatic: true);
        for (int s = 0; s <= 20; s++)
            tf.Add(T("odom", "base_link", s * 1_000_000_000L, s, Quaternion.Identity), isStatic: false);

        // The drive starts again at 0 s: its samples fall before the kept 10 s and are dropped.
        tf.Add(T("odom", "base_link", 0, 100, Quaternion.Identity), isStatic: false);
        Assert.Equal(TfErrorKind.Extrapolation, Assert.Throws<TfException>(() => tf.Lookup("odom", "base_link", 0)).Kind);

        tf.ClearDynamic();
        Assert.Equal(TfErrorKind.UnknownFrame, Assert.Throws<TfException>(() => tf.Lookup("odom", "base_link", 0)).Kind);
        Assert.Equal(0.5, tf.Lookup("base_link", "camera", 0).Translation.X);
        tf.Add(T("odom", "base_link", 0, 100, Quaternion.Identity), isStatic: false);
        tf.Add(T("odom", "base_link", 1_000_000_000, 101, Quaternion.Identity), isStatic: false);
        Assert.Equal(100.5, tf.Lookup("odom", "base_link", 500_000_000).Translation.X, 12);
    }

    [Fact]
    public void Unknown_and_disconnected_frames_are_distinct_errors()
    {
        var tf = new TfBuffer();
        tf.Add(T("map", "odom", 0, 0, Quaternion.Identity), isStatic: true);
        tf.Add(T("world", "robot2", 0, 0, Quaternion.Identity), isStatic: true);
        Assert.Equal(TfErrorKind.UnknownFrame, Assert.Throws<TfException>(() => tf.Lookup("map", "nowhere", 0)).Kind);
        Assert.Equal(TfErrorKind.Disconnected, Assert.Throws<TfException>(() => tf.Lookup("odom", "robot2", 0)).Kind);
    }

    [Fact]
    public void The_nav2_turtlebot_recording_chains_odom_base_link_and_the_static_base_footprint()
    {
        using var reader = Rosbag2Reader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        var tf = new TfBuffer(TimeSpan.FromSeconds(200));
        long last = 0;
        foreach (var message in reader.ReadMessages(new BagReadOptions(new HashSet<string> { "/tf", "/tf_static" })))
        {
            var decoded = Rosbag2Reader.Decode<TFMessage>(message);
            tf.Add(decoded, message.Topic.Name == "/tf_static");
            // Lookups use header stamps (simulated time here), not the recording time.
            if (message.Topic.Name == "/tf") last = Math.Max(last, decoded.Transforms.Max(t => t.Header.Stamp.Nanoseconds));
        }
        Assert.Contains("base_footprint", tf.Frames);
        var odomFromFootprint = tf.Lookup("odom", "base_footprint", last - 1_000_000_000);
        var odomFromBase = tf.Lookup("odom", "base_link", last - 1_000_000_000);
        var baseFromFootprint = tf.Lookup("base_link", "base_footprint", 0);
        Assert.Equal(odomFromBase.Compose(baseFromFootprint).Translation, odomFromFootprint.Translation);
        Assert.Equal(TfErrorKind.Extrapolation, Assert.Throws<TfException>(() => tf.Lookup("odom", "base_link", last + 5_000_000_000)).Kind);
    }
}
