namespace Mosaic.Node.Tests;

public class NodeNamesTests
{
    [Theory]
    [InlineData("/", "/camera/image", "/camera/image")]
    [InlineData("/", "camera/image", "/camera/image")]
    [InlineData("/", "~/pose", "/mosaic/pose")]
    [InlineData("/robot1", "camera/image", "/robot1/camera/image")]
    [InlineData("/robot1", "/tf", "/tf")]
    [InlineData("/robot1", "~/pose", "/robot1/mosaic/pose")]
    [InlineData("/robot1/", "~", "/robot1/mosaic")]
    public void Names_resolve_as_rcl_resolves_them(string ns, string name, string expected) =>
        Assert.Equal(expected, new NodeNames("mosaic", ns).Resolve(name));

    [Fact]
    public void Remaps_match_resolved_names()
    {
        var names = new NodeNames("mosaic", "/robot1", [(null, "image", "/front/image"), ("other", "/odom", "/wheel_odom"), ("mosaic", "~/pose", "/pose")]);

        Assert.Equal("/front/image", names.Resolve("/robot1/image"));
        Assert.Equal("/front/image", names.Resolve("image"));
        Assert.Equal("/odom", names.Resolve("/odom"));
        Assert.Equal("/pose", names.Resolve("~/pose"));
        Assert.Equal("/robot1/mosaic", names.FullName);
    }

    [Fact]
    public void An_empty_topic_name_is_an_error() => Assert.Throws<ArgumentException>(() => new NodeNames("mosaic").Resolve(" "));
}
