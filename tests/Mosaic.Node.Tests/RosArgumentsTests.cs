using Microsoft.Extensions.Logging;

namespace Mosaic.Node.Tests;

public class RosArgumentsTests
{
    [Fact]
    public void Parses_the_command_line_launch_ros_builds()
    {
        // What launch_ros passes to an executable (ros2-conventions.md §3).
        var args = RosArguments.Parse(["--bag", "drive", "--ros-args", "-r", "__node:=localizer", "-r", "__ns:=/robot1",
            "--params-file", "a.yaml", "--params-file", "/tmp/launch_params_x", "-p", "localizer.min_coverage:=0.5",
            "-r", "/camera/image:=/front/image", "--log-level", "warn"]);

        Assert.Equal(["--bag", "drive"], args.ProgramArguments);
        Assert.Equal("localizer", args.NodeName);
        Assert.Equal("/robot1", args.Namespace);
        Assert.Equal(["a.yaml", "/tmp/launch_params_x"], args.ParameterFiles);
        Assert.Equal([("localizer.min_coverage", "0.5")], args.Parameters);
        Assert.Equal([((string?)null, "/camera/image", "/front/image")], args.Remaps);
        Assert.Equal(LogLevel.Warning, args.LogLevel);
    }

    [Fact]
    public void Arguments_after_a_double_dash_belong_to_the_program_again()
    {
        var args = RosArguments.Parse(["node", "--ros-args", "-p", "a:=1", "--", "--rate", "2"]);
        Assert.Equal(["node", "--rate", "2"], args.ProgramArguments);
    }

    [Fact]
    public void A_remap_can_be_limited_to_one_node()
    {
        var args = RosArguments.Parse(["--ros-args", "-r", "mosaic:image:=/cam"]);
        Assert.Equal([("mosaic", "image", "/cam")], args.Remaps);
    }

    [Theory]
    [InlineData("--params-file", "needs a value")]
    [InlineData("-p", "needs a value")]
    [InlineData("-p=1", "not supported")]
    [InlineData("--enclave", "not supported")]
    public void Malformed_ros_arguments_are_named(string argument, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RosArguments.Parse(["--ros-args", argument]));
        Assert.Contains(argument, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("-p", "no_assignment", "expected name:=value")]
    [InlineData("-r", "__ns:=robot", "must start with '/'")]
    [InlineData("-r", "__node:=my/node", "node name")]
    [InlineData("--log-level", "loud", "expected debug")]
    public void Bad_values_are_explained(string flag, string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RosArguments.Parse(["--ros-args", flag, value]));
        Assert.Contains(expected, e.Message);
    }
}
