using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Mosaic.Node.Hosting;

/// <summary>Options of <see cref="RosConsoleFormatter"/>.</summary>
public sealed class RosConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>The node name shown in every line.</summary>
    public string NodeName { get; set; } = "mosaic";
}

/// <summary>
/// Log lines as ROS 2 (rcutils) prints them: <c>[INFO] [1700000000.123456789] [mosaic]: message</c>,
/// so Mosaic's output reads like every other node's in a launch terminal.
/// </summary>
public sealed class RosConsoleFormatter(IOptionsMonitor<RosConsoleFormatterOptions> options) : ConsoleFormatter(Name)
{
    /// <summary>The formatter's registration name.</summary>
    public new const string Name = "ros";

    /// <inheritdoc/>
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
            return;
        textWriter.WriteLine(Format(logEntry.LogLevel, DateTimeOffset.UtcNow, options.CurrentValue.NodeName, message, logEntry.Exception));
    }

    /// <summary>One log line (without the newline).</summary>
    public static string Format(LogLevel level, DateTimeOffset time, string node, string message, Exception? exception = null)
    {
        string severity = level switch
        {
            LogLevel.Trace or LogLevel.Debug => "DEBUG",
            LogLevel.Information => "INFO",
            LogLevel.Warning => "WARN",
            LogLevel.Error => "ERROR",
            _ => "FATAL",
        };
        long ns = (time - DateTimeOffset.UnixEpoch).Ticks * 100;
        string stamp = string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}");
        string line = $"[{severity}] [{stamp}] [{node}]: {message}";
        return exception is null ? line : line + Environment.NewLine + exception;
    }
}
