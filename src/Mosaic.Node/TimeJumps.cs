namespace Mosaic.Node;

/// <summary>
/// Notices time going back on the node's stamped inputs: a bag replayed in a loop (<c>ros2 bag play
/// --loop</c>), a simulator reset. Each stream (images, depth images, odometry, /clock) is judged against
/// its own newest stamp, since a camera's clock may be offset from the odometry's; one publisher's stamps
/// only go forward, so <see cref="Threshold"/> only has to absorb jitter. After a jump every stream
/// starts afresh, so that the others, which jump too, do not count it again.
/// Plain class, not thread-safe.
/// </summary>
internal sealed class TimeJumps
{
    /// <summary>How far a stamp must fall behind its stream's newest to count as time going back.</summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromSeconds(1);

    private static readonly long ThresholdNs = (long)(Threshold.TotalMilliseconds * 1_000_000);
    private readonly Dictionary<string, long> _newest = new();

    /// <summary>
    /// Takes the stamp (ns) of a message on <paramref name="stream"/>. Returns how far (ns) time went back
    /// when it lies more than <see cref="Threshold"/> behind that stream's newest stamp, else null.
    /// </summary>
    public long? Observe(string stream, long stamp)
    {
        if (_newest.TryGetValue(stream, out long newest))
        {
            if (stamp < newest - ThresholdNs)
            {
                _newest.Clear();
                _newest[stream] = stamp;
                return newest - stamp;
            }
            stamp = Math.Max(stamp, newest);
        }
        _newest[stream] = stamp;
        return null;
    }
}
