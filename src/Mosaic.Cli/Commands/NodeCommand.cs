using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Maps;
using Mosaic.Node;
using Mosaic.Node.Hosting;
using Mosaic.Node.Transport;
using Mosaic.Transport.Dds;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic node</c>: the localization node, with ROS 2 arguments after <c>--ros-args</c>.</summary>
internal static class NodeCommand
{
    public static Command Create(RosArguments ros)
    {
        var bag = new Option<string?>("--bag") { Description = "Replay this rosbag2 (directory, .mcap or .db3) into the node. Without it the node joins the live ROS 2 network through Cyclone DDS (ROS_DOMAIN_ID, CYCLONEDDS_URI)." };
        var rate = new Option<double>("--rate") { Description = "Replay speed: 0 = as fast as possible in lockstep (every image is localized; deterministic), r > 0 = r times real time (the node drops what it cannot keep up with).", DefaultValueFactory = _ => 0 };
        var start = new Option<double>("--start") { Description = "Start the replay this many seconds into the bag.", DefaultValueFactory = _ => 0 };
        var end = new Option<double>("--end") { Description = "End the replay this many seconds into the bag; negative = the end.", DefaultValueFactory = _ => -1 };
        var record = new Option<string?>("--record") { Description = "Record everything the node publishes into this new rosbag2 directory (MCAP)." };
        var command = new Command("node",
            "The localization node. ROS 2 arguments follow --ros-args: --params-file F (several, in order), -p name:=value, -r __node:=NAME, -r __ns:=/NS, -r from:=to, --log-level LEVEL.")
        {
            bag, rate, start, end, record,
        };
        command.SetAction(parse =>
        {
            try
            {
                var configuration = NodeHost.LoadConfiguration(ros);
                ITransport transport;
                bool lockstep = false;
                if (parse.GetValue(bag) is { } bagPath)
                {
                    if (!File.Exists(bagPath) && !Directory.Exists(bagPath))
                        throw new IOException($"{bagPath}: no such bag directory or file");
                    var replay = new BagReplayTransport(bagPath, new BagReplayOptions(parse.GetValue(rate), parse.GetValue(start), parse.GetValue(end), parse.GetValue(record)));
                    (transport, lockstep) = (replay, replay.Lockstep);
                }
                else
                {
                    if (parse.GetValue(record) is not null)
                        throw new ArgumentException("--record needs --bag; record a live run with ros2 bag record");
                    transport = new DdsTransport(RosDdsNames.DomainId(Environment.GetEnvironmentVariable("ROS_DOMAIN_ID")));
                }
                using var host = NodeHost.Build(configuration, transport, ros.LogLevel ?? LogLevel.Information, lockstep);
                // Run disposes the host (and its services) when it returns.
                var node = host.Services.GetRequiredService<LocalizationNode>();
                host.Run();
                // A bag that could not be read to its end is a failed replay for scripts, though the node went on.
                return node.Statistics.InputError is null ? 0 : 1;
            }
            catch (Exception e) when (e is FormatException or ArgumentException or MapFormatException or IOException or DdsException)
            {
                Console.Error.WriteLine($"mosaic node: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
