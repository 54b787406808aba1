namespace Mosaic.Transport.Dds.Tests;

public class RosDdsNamesTests
{
    [Theory]
    [InlineData("/tf", "rt/tf")]
    [InlineData("/mosaic/pose", "rt/mosaic/pose")]
    [InlineData("/camera/image_raw/compressed", "rt/camera/image_raw/compressed")]
    public void RosTopicsGetTheRtPrefix(string ros, string dds) => Assert.Equal(dds, RosDdsNames.Topic(ros));

    [Theory]
    [InlineData("tf")]
    [InlineData("~/pose")]
    [InlineData("/")]
    public void OnlyFullyQualifiedTopicsAreMapped(string ros) => Assert.Throws<ArgumentException>(() => RosDdsNames.Topic(ros));

    [Theory]
    [InlineData("geometry_msgs/msg/PoseWithCovarianceStamped", "geometry_msgs::msg::dds_::PoseWithCovarianceStamped_")]
    [InlineData("tf2_msgs/msg/TFMessage", "tf2_msgs::msg::dds_::TFMessage_")]
    [InlineData("diagnostic_msgs/msg/DiagnosticArray", "diagnostic_msgs::msg::dds_::DiagnosticArray_")]
    public void RosTypesAreMangledAsRmwCycloneddsDoes(string ros, string dds) => Assert.Equal(dds, RosDdsNames.Type(ros));

    [Theory]
    [InlineData("geometry_msgs/PoseStamped")]
    [InlineData("geometry_msgs//PoseStamped")]
    [InlineData("PoseStamped")]
    public void MalformedTypeNamesAreRefused(string ros) => Assert.Throws<ArgumentException>(() => RosDdsNames.Type(ros));

    [Theory]
    [InlineData(null, 0u)]
    [InlineData("", 0u)]
    [InlineData("42", 42u)]
    [InlineData(" 7 ", 7u)]
    [InlineData("232", 232u)]
    public void DomainIdIsReadAsRos2ReadsIt(string? environment, uint expected) => Assert.Equal(expected, RosDdsNames.DomainId(environment));

    [Theory]
    [InlineData("233")]
    [InlineData("-1")]
    [InlineData("one")]
    [InlineData("1.5")]
    public void DomainIdsOutsideTheRosRangeAreErrors(string environment)
    {
        var error = Assert.Throws<ArgumentException>(() => RosDdsNames.DomainId(environment));
        Assert.Contains("ROS_DOMAIN_ID", error.Message);
    }
}
