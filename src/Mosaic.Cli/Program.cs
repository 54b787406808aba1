using System.CommandLine;
using Mosaic.Cli.Commands;
using Mosaic.Node;

// ROS 2 arguments (--ros-args ... [--]) are taken out first: System.CommandLine does not know them.
RosArguments ros;
try
{
    ros = RosArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"mosaic: {e.Message}");
    return 2;
}

var root = new RootCommand("mosaic: privacy-preserving visual localization against labelled Gaussian maps")
{
    DemoCommand.Create(),
    NodeCommand.Create(ros),
    BenchCommand.Create(),
    BagCommand.Create(),
    MapCommand.Create(),
    EvalCommand.Create(),
    CompareCommand.Create(),
    CudaCommand.Create(),
};
return root.Parse(ros.ProgramArguments.ToArray()).Invoke();
