using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mosaic.Node;
using Mosaic.Node.Hosting;
using Mosaic.Rclcs;

// mosaic_localization_node [--ros-args ...]: the Mosaic node with rcldotnet as its transport. Parameters, remaps and
// logging are handled by Mosaic exactly as for `mosaic node` (see config/mosaic.yaml); rcl gets the resolved
// node name and namespace.
var ros = RosArguments.Parse(args);
try
{
    var configuration = NodeHost.LoadConfiguration(ros);
    var transport = new RclcsTransport(configuration.Names.Name, configuration.Names.Namespace);
    using var host = NodeHost.Build(configuration, transport, ros.LogLevel ?? LogLevel.Information, lockstep: false);
    host.Run();
    return 0;
}
catch (Exception e) when (e is FormatException or ArgumentException or IOException)
{
    Console.Error.WriteLine($"mosaic_localization_node: {e.Message}");
    return 2;
}
