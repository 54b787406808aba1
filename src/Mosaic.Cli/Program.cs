using System.CommandLine;
using Mosaic.Cli.Commands;
using Mosaic.Node;
using Spectre.Console;

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

// Redirected output (a log file, CI) has no terminal width; Spectre.Console then assumes 80 columns and
// wraps every table cell. Tables in logs read better unwrapped.
if (Console.IsOutputRedirected)
    AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0 ? columns : 200;

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
