using System.CommandLine;
using Mosaic.Cli.Commands;

var root = new RootCommand("mosaic: privacy-preserving visual localization against labelled Gaussian maps")
{
    DemoCommand.Create(),
    BenchCommand.Create(),
    BagCommand.Create(),
    MapCommand.Create(),
    EvalCommand.Create(),
};
return root.Parse(args).Invoke();
