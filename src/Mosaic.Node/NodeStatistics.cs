namespace Mosaic.Node;

/// <summary>
/// What the node has seen and done, for /diagnostics and the end-of-run summary. Counters are
/// updated from the transport and processing threads; latencies keep a bounded window.
/// </summary>
public sealed class NodeStatistics
{
    private const int LatencyWindow = 1000;
    private readonly Lock _gate = new();
    private readonly double[] _latencies = new double[LatencyWindow];
    private readonly Dictionary<string, long> _badMessages = new();
    private long _latencyCount;

    /// <summary>Images received.</summary>
    public long FramesReceived;

    /// <summary>Images localized (accepted or not).</summary>
    public long FramesProcessed;

    /// <summary>Refined poses accepted (a pose was published).</summary>
    public long PosesAccepted;

    /// <summary>Refined poses rejected by the quality gates.</summary>
    public long PosesRejected;

    /// <summary>Frames not refined because the camera had hardly moved since the last refined one (localizer.update_min_translation).</summary>
    public long FramesNotMoved;

    /// <summary>Images skipped before localization: no camera_info yet, no transform to the camera, undecodable.</summary>
    public long FramesSkipped;

    /// <summary>Images processed without odometry at their stamp although odometry is configured.</summary>
    public long FramesWithoutOdometry;

    /// <summary>Frames localized from colour alone although topics.depth is set (no depth image close enough, or it could not be used).</summary>
    public long FramesWithoutDepth;

    /// <summary>Accepted poses that depth refinement gave.</summary>
    public long PosesDepthRefined;

    /// <summary>Accepted poses finished on the sharpened copy of the map (localizer.sharp_map_max_loss).</summary>
    public long PosesSharpened;

    /// <summary>Tracking frames refined on the sharpened copy directly, judged too loose by the full map and refined again (localizer.sharp_map_tracking).</summary>
    public long FramesRefinedAgain;

    /// <summary>/initialpose messages applied.</summary>
    public long InitialPosesApplied;

    /// <summary>/initialpose messages refused (wrong frame, bad numbers).</summary>
    public long InitialPosesRefused;

    /// <summary>Times the stamps went back (a bag replayed in a loop, a simulator reset), each clearing the odometry history and the pose (<see cref="TimeJumps"/>).</summary>
    public long TimeJumpsBack;

    /// <summary>Messages dropped for a stamp more than <see cref="TimeJumps.Threshold"/> behind their stream's newest when the next stamp was in order again: strays, not time going back.</summary>
    public long StaleStampsDropped;

    /// <summary>The most recent problem, for the diagnostics message; null when none.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Transport time (ns) of <see cref="LastProblem"/>.</summary>
    public long LastProblemAt { get; private set; }

    /// <summary>The input failed (e.g. a damaged bag); the node keeps running but receives nothing more.</summary>
    public string? InputError { get; set; }

    /// <summary>Problems with the input that did not stop it (e.g. a truncated bag).</summary>
    public IReadOnlyList<string> InputWarnings { get; set; } = [];

    /// <summary>Records a problem to show in diagnostics.</summary>
    public void Problem(string text, long now)
    {
        lock (_gate)
            (LastProblem, LastProblemAt) = (text, now);
    }

    /// <summary>Counts a message that could not be used, by topic; returns the topic's count so far.</summary>
    public long BadMessage(string topic)
    {
        lock (_gate)
        {
            _badMessages[topic] = _badMessages.GetValueOrDefault(topic) + 1;
            return _badMessages[topic];
        }
    }

    /// <summary>Bad messages per topic.</summary>
    public IReadOnlyDictionary<string, long> BadMessages
    {
        get
        {
            lock (_gate)
                return new Dictionary<string, long>(_badMessages);
        }
    }

    /// <summary>Records one image's receipt-to-publish latency in milliseconds.</summary>
    public void Latency(double milliseconds)
    {
        lock (_gate)
            _latencies[_latencyCount++ % LatencyWindow] = milliseconds;
    }

    /// <summary>Median and 95th percentile of the last 1000 latencies (ms), or null before the first.</summary>
    public (double P50, double P95, int Count)? LatencyPercentiles()
    {
        double[] window;
        lock (_gate)
            window = _latencies.Take((int)Math.Min(_latencyCount, LatencyWindow)).ToArray();
        if (window.Length == 0)
            return null;
        Array.Sort(window);
        return (Percentile(window, 0.5), Percentile(window, 0.95), window.Length);
    }

    private static double Percentile(double[] sorted, double q) => sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
}
