using Microsoft.Extensions.Logging;
using Mosaic.Localization.Parameters;

namespace Mosaic.Node;

/// <summary>
/// The ROS 2 arguments of a node's command line (what <c>ros2 run</c> and launch_ros pass after
/// <c>--ros-args</c>): parameter files, <c>-p name:=value</c> overrides, <c>-r</c> remaps including
/// <c>__node</c> and <c>__ns</c>, and <c>--log-level</c>. Everything outside <c>--ros-args ... [--]</c>
/// is left to the program as <see cref="ProgramArguments"/>.
/// </summary>
public sealed class RosArguments
{
    /// <summary>Arguments that were not ROS arguments, in order.</summary>
    public IReadOnlyList<string> ProgramArguments { get; private init; } = [];

    /// <summary><c>--params-file</c> paths, in order (later files win).</summary>
    public IReadOnlyList<string> ParameterFiles { get; private init; } = [];

    /// <summary><c>-p name:=value</c> overrides, in order; values are YAML text.</summary>
    public IReadOnlyList<(string Name, string Value)> Parameters { get; private init; } = [];

    /// <summary>Topic remaps <c>-r from:=to</c> (optionally <c>node:from:=to</c>), in order.</summary>
    public IReadOnlyList<(string? Node, string From, string To)> Remaps { get; private init; } = [];

    /// <summary>The node name from <c>-r __node:=NAME</c>, or null.</summary>
    public string? NodeName { get; private init; }

    /// <summary>The namespace from <c>-r __ns:=/NS</c>, or null.</summary>
    public string? Namespace { get; private init; }

    /// <summary>The log level from <c>--log-level</c>, or null.</summary>
    public LogLevel? LogLevel { get; private init; }

    /// <summary>Splits <paramref name="args"/> into program and ROS arguments.</summary>
    /// <exception cref="ArgumentException">A ROS argument is malformed or not supported; the message names it.</exception>
    public static RosArguments Parse(IReadOnlyList<string> args)
    {
        var program = new List<string>();
        var files = new List<string>();
        var parameters = new List<(string, string)>();
        var remaps = new List<(string?, string, string)>();
        string? node = null, ns = null;
        LogLevel? level = null;
        bool inRos = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--ros-args")
            {
                inRos = true;
                continue;
            }
            if (!inRos)
            {
                program.Add(arg);
                continue;
            }
            switch (arg)
            {
                case "--":
                    inRos = false;
                    break;
                case "--params-file":
                    files.Add(Value(args, ref i));
                    break;
                case "-p" or "--param":
                    parameters.Add(ParameterSet.SplitAssignment(arg, Value(args, ref i)));
                    break;
                case "-r" or "--remap":
                    var (from, to) = ParameterSet.SplitAssignment(arg, Value(args, ref i));
                    string? onlyNode = null;
                    int colon = from.IndexOf(':');
                    if (colon > 0 && !from.StartsWith("__", StringComparison.Ordinal))
                        (onlyNode, from) = (from[..colon], from[(colon + 1)..]);
                    if (from == "__node" || from == "__name")
                        node = ValidName(to, "__node");
                    else if (from == "__ns")
                        ns = to.StartsWith('/') ? to.TrimEnd('/') is "" ? "/" : to.TrimEnd('/') : throw new ArgumentException($"-r __ns:={to}: a namespace must start with '/'");
                    else
                        remaps.Add((onlyNode, from, to));
                    break;
                case "--log-level":
                    string text = Value(args, ref i);
                    // "name:=level" sets one logger's level; Mosaic has one node, so the level applies to it.
                    if (text.Contains(":=", StringComparison.Ordinal))
                        text = text[(text.IndexOf(":=", StringComparison.Ordinal) + 2)..];
                    level = text.ToLowerInvariant() switch
                    {
                        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
                        "info" => Microsoft.Extensions.Logging.LogLevel.Information,
                        "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
                        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
                        "fatal" => Microsoft.Extensions.Logging.LogLevel.Critical,
                        _ => throw new ArgumentException($"--log-level {text}: expected debug, info, warn, error or fatal"),
                    };
                    break;
                case "--enable-rosout-logs" or "--disable-rosout-logs" or "--enable-stdout-logs" or "--disable-stdout-logs"
                    or "--enable-external-lib-logs" or "--disable-external-lib-logs":
                    // Logging sinks: Mosaic logs to stdout only; accepted so launch files written for rclcpp nodes work.
                    break;
                default:
                    throw new ArgumentException($"ROS argument '{arg}' is not supported (supported: --params-file, -p/--param, -r/--remap, --log-level)");
            }
        }
        return new RosArguments
        {
            ProgramArguments = program, ParameterFiles = files, Parameters = parameters, Remaps = remaps,
            NodeName = node, Namespace = ns, LogLevel = level,
        };
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
            throw new ArgumentException($"ROS argument '{args[i]}' needs a value");
        return args[++i];
    }

    private static string ValidName(string name, string what)
    {
        if (name.Length == 0 || name.Contains('/') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(name[0]))
            throw new ArgumentException($"-r {what}:={name}: a node name has letters, digits and underscores and does not start with a digit");
        return name;
    }
}
