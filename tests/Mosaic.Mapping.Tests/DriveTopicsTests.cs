using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tests;
using Mosaic.Ros.Tf;

namespace Mosaic.Mapping.Tests;

public sealed class DriveTopicsTests
{
    private static readonly BagTopic[] Drive =
    [
        new("/camera/image_raw", "sensor_msgs/msg/Image"),
        new("/camera/image_raw/compressed", "sensor_msgs/msg/CompressedImage"),
        new("/camera/camera_info", "sensor_msgs/msg/CameraInfo"),
        new("/odom", "nav_msgs/msg/Odometry"),
        new("/tf", "tf2_msgs/msg/TFMessage"),
    ];

    private static MappingInputException Fails(IReadOnlyList<BagTopic> topics, string topic, TopicRole role, string setting = "topics.color_image") =>
        Assert.Throws<MappingInputException>(() => DriveTopics.Require("bag", topics, "colour image", topic, role, setting));

    [Fact]
    public void A_topic_of_a_fitting_type_passes_old_style_type_names_included()
    {
        DriveTopics.Require("bag", Drive, "colour image", "/camera/image_raw/compressed", TopicRole.Image, "topics.color_image");
        DriveTopics.Require("bag", [new("/odom", "nav_msgs/Odometry")], "odometry", "/odom", TopicRole.Odometry, "topics.odometry");
    }

    [Fact]
    public void A_missing_topic_names_its_setting_and_the_topics_that_would_fit()
    {
        var e = Fails(Drive, "/camera/color/image_raw/compressed", TopicRole.Image);
        Assert.Equal("bag: no colour image topic '/camera/color/image_raw/compressed' (topics.color_image); topics of that kind in the bag: "
            + "/camera/image_raw (sensor_msgs/Image), /camera/image_raw/compressed (sensor_msgs/CompressedImage); "
            + "choose one with -p topics.color_image:=TOPIC or in a parameter file", e.Message);
    }

    [Fact]
    public void A_topic_of_another_type_is_refused_by_its_type()
    {
        var e = Fails(Drive, "/camera/camera_info", TopicRole.Image);
        Assert.StartsWith("bag: colour image topic '/camera/camera_info' (topics.color_image) has type sensor_msgs/msg/CameraInfo, "
            + "not sensor_msgs/msg/Image or sensor_msgs/msg/CompressedImage; topics of that kind in the bag: /camera/image_raw", e.Message);
        // The node subscribes odometry as nav_msgs/Odometry only, so an offline replay must refuse a PoseStamped.
        Assert.Throws<MappingInputException>(() => DriveTopics.Require("bag", [new("/pose", "geometry_msgs/msg/PoseStamped")], "odometry", "/pose", TopicRole.Odometry, "topics.odometry"));
    }

    [Fact]
    public void Without_a_fitting_topic_the_bag_s_topics_are_listed_and_long_lists_are_cut()
    {
        var e = Fails([new("/odom", "nav_msgs/msg/Odometry")], "/image", TopicRole.Image);
        Assert.EndsWith("the bag has no topic of type sensor_msgs/msg/Image or sensor_msgs/msg/CompressedImage (its topics: /odom)", e.Message);

        var many = Enumerable.Range(0, 25).Select(i => new BagTopic($"/t{i:D2}", "std_msgs/msg/String")).ToList();
        e = Fails(many, "/image", TopicRole.Image);
        Assert.Contains("/t19 and 5 more)", e.Message);
        Assert.DoesNotContain("/t20", e.Message);
    }

    [Fact]
    public void An_option_is_named_as_an_option()
    {
        var e = Fails(Drive, "/ground_truth", TopicRole.Pose, "--gt-topic");
        Assert.EndsWith("/odom (nav_msgs/Odometry); choose one with --gt-topic TOPIC", e.Message);
    }

    [Fact]
    public void An_optional_topic_may_be_missing_but_not_mistyped()
    {
        DriveTopics.RequireTypeIfPresent("bag", Drive, "static transform", "/tf_static", TopicRole.Transforms, "topics.tf_static");
        Assert.Throws<MappingInputException>(() =>
            DriveTopics.RequireTypeIfPresent("bag", Drive, "static transform", "/odom", TopicRole.Transforms, "topics.tf_static"));
    }

    [Fact]
    public void A_pose_topic_with_an_old_style_type_name_is_read()
    {
        var odometry = new Odometry(new Header(RosTime.FromNanoseconds(1_000_000_000), "map"), "base_link",
            new PoseWithCovariance(new Pose(new Point(1, 2, 3), new Quaternion(0, 0, 0, 1)), new double[36]),
            new TwistWithCovariance(new Twist(new Vector3(0, 0, 0), new Vector3(0, 0, 0)), new double[36]));
        var message = new BagMessage(new BagTopic("/odom", "nav_msgs/Odometry"), 1_000_000_000, RosSerializer.Serialize(odometry));
        var tf = new TfBuffer(TimeSpan.FromDays(1));

        Assert.Equal("base_link", DriveMessages.AddPose(tf, message, "ignored", "map", "frames.map"));
        Assert.Equal(new Vector3(1, 2, 3), tf.Lookup("map", "base_link", 1_000_000_000).Translation);

        var e = Assert.Throws<MappingInputException>(() => DriveMessages.AddPose(tf, message, "ignored", "odom", "frames.odom"));
        Assert.Contains("set -p frames.odom:=map", e.Message);
    }

    [Fact]
    [Trait("Category", "RealData")]
    public void The_camera_topics_of_a_real_drive_are_described_by_their_first_messages()
    {
        using var sample = Rosbag2Reader.Open(Path.Combine(SharedData.RepositoryRoot, "tests", "data", "redkitchen-sample"));
        var cameras = DriveTopics.Cameras(sample).ToDictionary(c => c.Topic);

        Assert.Equal(4, cameras.Count);
        Assert.Equal(new CameraTopic("/camera/color/image_raw/compressed", "camera_color_optical_frame", "640x480 'jpeg'"), cameras["/camera/color/image_raw/compressed"]);
        Assert.Equal("640x480 '16UC1; compressedDepth png'", cameras["/camera/depth/image_raw/compressedDepth"].Description);
        Assert.Equal("camera_info 640x480, fx 585 fy 585 cx 320 cy 240, no distortion", cameras["/camera/depth/camera_info"].Description);
    }

    [Fact]
    [Trait("Category", "RealData")]
    public void Images_that_cannot_be_decoded_are_described_by_the_reason()
    {
        // The rosbags-rs test bag declares a 640x480 rgb8 image but carries 30 bytes of it.
        using var bag = Rosbag2Reader.Open(SharedData.Path("bags", "rosbags-rs", "test_bag_mcap"));
        var cameras = DriveTopics.Cameras(bag).ToDictionary(c => c.Topic);

        Assert.Equal(["/test/sensor_msgs/camera_info", "/test/sensor_msgs/compressed_image", "/test/sensor_msgs/image"], cameras.Keys.Order());
        Assert.Equal("undecodable: rgb8 image of 640x480 (step 1920) needs 921600 bytes but has 30", cameras["/test/sensor_msgs/image"].Description);
        Assert.Equal("test_frame", cameras["/test/sensor_msgs/image"].FrameId);
        Assert.StartsWith("camera_info 640x480, fx 525 fy 525", cameras["/test/sensor_msgs/camera_info"].Description);

        using var withoutCameras = Rosbag2Reader.Open(SharedData.Path("bags", "evo", "nav2_turtlebot.mcap"));
        Assert.Empty(DriveTopics.Cameras(withoutCameras));
    }

    [Fact]
    [Trait("Category", "RealData")]
    public void A_real_bag_from_another_robot_gets_its_image_topics_suggested()
    {
        var e = Assert.Throws<MappingInputException>(() =>
            BagFrameSource.Scan(SharedData.Path("bags", "rosbags-rs", "test_bag_mcap"), new MappingOptions()));
        Assert.Contains("no colour image topic '/camera/color/image_raw/compressed' (topics.color_image)", e.Message);
        Assert.Contains("/test/sensor_msgs/compressed_image (sensor_msgs/CompressedImage), /test/sensor_msgs/image (sensor_msgs/Image)", e.Message);
        Assert.DoesNotContain("/test/std_msgs", e.Message);
    }
}
