using System.Globalization;
using Mosaic.Localization;
using Mosaic.Ros.Messages;

namespace Mosaic.Node;

/// <summary>The node's /diagnostics status: level, one-line message and the values an operator looks at.</summary>
public static class NodeDiagnostics
{
    /// <summary>Problems older than this (transport time) no longer raise the level.</summary>
    public static readonly TimeSpan ProblemMemory = TimeSpan.FromSeconds(10);

    /// <summary>Builds the status.</summary>
    /// <param name="name">The node's fully qualified name (the status name).</param>
    /// <param name="statistics">Counters.</param>
    /// <param name="last">The last frame's result, or null.</param>
    /// <param name="state">The localizer's state.</param>
    /// <param name="dropped">Images dropped for newer ones.</param>
    /// <param name="hasCameraInfo">Whether camera_info has arrived.</param>
    /// <param name="now">Transport time, ns.</param>
    public static DiagnosticStatus Status(string name, NodeStatistics statistics, LocalizationResult? last, LocalizerState state, long dropped, bool hasCameraInfo, long now)
    {
        var latency = statistics.LatencyPercentiles();
        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        var values = new List<KeyValue>
        {
            new("state", state.ToString()),
            new("frames_received", statistics.FramesReceived.ToString(CultureInfo.InvariantCulture)),
            new("frames_processed", statistics.FramesProcessed.ToString(CultureInfo.InvariantCulture)),
            new("frames_dropped", dropped.ToString(CultureInfo.InvariantCulture)),
            new("frames_skipped", statistics.FramesSkipped.ToString(CultureInfo.InvariantCulture)),
            new("frames_without_odometry", statistics.FramesWithoutOdometry.ToString(CultureInfo.InvariantCulture)),
            new("poses_accepted", statistics.PosesAccepted.ToString(CultureInfo.InvariantCulture)),
            new("poses_rejected", statistics.PosesRejected.ToString(CultureInfo.InvariantCulture)),
            new("frames_not_moved", statistics.FramesNotMoved.ToString(CultureInfo.InvariantCulture)),
            new("frames_without_depth", statistics.FramesWithoutDepth.ToString(CultureInfo.InvariantCulture)),
            new("poses_depth_refined", statistics.PosesDepthRefined.ToString(CultureInfo.InvariantCulture)),
            new("poses_sharpened", statistics.PosesSharpened.ToString(CultureInfo.InvariantCulture)),
            new("frames_refined_again", statistics.FramesRefinedAgain.ToString(CultureInfo.InvariantCulture)),
            new("bad_messages", statistics.BadMessages.Values.Sum().ToString(CultureInfo.InvariantCulture)),
            new("initial_poses_refused", statistics.InitialPosesRefused.ToString(CultureInfo.InvariantCulture)),
            new("time_jumps_back", statistics.TimeJumpsBack.ToString(CultureInfo.InvariantCulture)),
            new("stale_stamps_dropped", statistics.StaleStampsDropped.ToString(CultureInfo.InvariantCulture)),
        };
        if (last?.Refined is { } refined)
        {
            values.Add(new("last_loss", F(refined.Loss)));
            values.Add(new("last_coverage", F(refined.Coverage)));
            values.Add(new("last_rejection", last.Rejection.ToString()));
        }
        if (last is not null && double.IsFinite(last.OdometryDrift))
            values.Add(new("odometry_drift", F(last.OdometryDrift)));
        if (latency is { } l)
        {
            values.Add(new("latency_p50_ms", F(l.P50)));
            values.Add(new("latency_p95_ms", F(l.P95)));
        }
        bool recentProblem = statistics.LastProblem is not null && now - statistics.LastProblemAt <= (long)ProblemMemory.TotalMilliseconds * 1_000_000;
        if (statistics.LastProblem is { } problem)
            values.Add(new("last_problem", problem));

        if (statistics.InputWarnings.Count > 0)
            values.Add(new("input_warnings", string.Join("; ", statistics.InputWarnings)));
        (byte level, string message) = (statistics.InputError, state, hasCameraInfo, recentProblem) switch
        {
            ({ } error, _, _, _) => (DiagnosticStatus.Error, $"input failed: {error}"),
            _ when statistics.InputWarnings.Count > 0 => (DiagnosticStatus.Warn, $"input damaged: {statistics.InputWarnings[^1]}"),
            (_, _, false, _) => (DiagnosticStatus.Warn, "waiting for camera_info"),
            (_, LocalizerState.Lost or LocalizerState.Relocalising, _, _) => (DiagnosticStatus.Warn, $"{state}: relocalising by retrieval"),
            (_, LocalizerState.Uninitialised, _, _) => (DiagnosticStatus.Warn, "not localized yet: waiting for an image or /initialpose"),
            (_, _, _, true) => (DiagnosticStatus.Warn, statistics.LastProblem!),
            _ => (DiagnosticStatus.Ok, "tracking"),
        };
        return new DiagnosticStatus(level, $"{name}: localization", message, "mosaic", values);
    }
}
