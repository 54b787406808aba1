namespace Mosaic.Node;

/// <summary>What <see cref="TimeJumps.Observe"/> made of a stamp.</summary>
internal enum StampVerdict
{
    /// <summary>In order (or within the jitter threshold): take the message.</summary>
    InOrder,

    /// <summary>
    /// More than the threshold behind its stream's newest, and the first such: hold the message until the next
    /// one tells whether time went back (another stale stamp) or this one was a stray (a stamp in order).
    /// </summary>
    Stale,

    /// <summary>A second stale stamp while one was held: time went back. Reset, take the held message, then this one.</summary>
    Jump,
}

/// <summary>A verdict on one stamp.</summary>
/// <param name="Verdict">What to do with the message.</param>
/// <param name="Back">For <see cref="StampVerdict.Jump"/>, how far (ns) the first stale stamp lay behind its stream's newest.</param>
/// <param name="StrayDropped">For <see cref="StampVerdict.InOrder"/>, whether this stamp showed the held stale one to be a stray, to be dropped.</param>
internal readonly record struct StampObservation(StampVerdict Verdict, long Back = 0, bool StrayDropped = false);

/// <summary>
/// Notices time going back on the node's stamped inputs: a bag replayed in a loop (<c>ros2 bag play
/// --loop</c>), a simulator reset. Each stream (images, depth images, odometry, /clock) is judged against
/// its own newest stamp, since a camera's clock may be offset from the odometry's; one publisher's stamps
/// only go forward, so <see cref="Threshold"/> only has to absorb jitter. A single stale stamp is not yet a
/// jump: a driver that stamps one message wrongly must not cost the pose. Time has gone back when a second
/// stale stamp (on any stream) follows it before any stamp in order does, as every stream of a looped bag
/// or a reset simulator goes back together. After a jump every stream starts afresh, so that the others,
/// which jump too, do not count it again. Plain class, not thread-safe.
/// </summary>
internal sealed class TimeJumps
{
    /// <summary>How far a stamp must fall behind its stream's newest to count as stale.</summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromSeconds(1);

    private static readonly long ThresholdNs = (long)(Threshold.TotalMilliseconds * 1_000_000);
    private readonly Dictionary<string, long> _newest = new();
    /// <summary>How far the held stale stamp lay behind its stream's newest; null when none is held.</summary>
    private long? _heldBack;

    /// <summary>Judges the stamp (ns) of a message on <paramref name="stream"/>.</summary>
    public StampObservation Observe(string stream, long stamp)
    {
        if (_newest.TryGetValue(stream, out long newest) && stamp < newest - ThresholdNs)
        {
            if (_heldBack is not { } back)
            {
                _heldBack = newest - stamp;
                return new StampObservation(StampVerdict.Stale);
            }
            _heldBack = null;
            _newest.Clear();
            _newest[stream] = stamp;
            return new StampObservation(StampVerdict.Jump, back);
        }
        _newest[stream] = _newest.TryGetValue(stream, out newest) ? Math.Max(stamp, newest) : stamp;
        bool stray = _heldBack is not null;
        _heldBack = null;
        return new StampObservation(StampVerdict.InOrder, StrayDropped: stray);
    }
}
