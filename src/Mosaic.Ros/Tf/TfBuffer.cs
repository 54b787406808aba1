using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Tf;

/// <summary>Why a TF lookup failed.</summary>
public enum TfErrorKind
{
    /// <summary>A frame was never seen on /tf or /tf_static.</summary>
    UnknownFrame,
    /// <summary>The time is outside the recorded range of an edge by more than the tolerance.</summary>
    Extrapolation,
    /// <summary>Both frames are known but belong to different trees.</summary>
    Disconnected,
    /// <summary>
    /// The time lies inside an edge's history, but both samples around it are farther from it than the
    /// tolerance (a dropout), and the lookup asked for nearby samples only.
    /// </summary>
    Gap,
}

/// <summary>A TF lookup failed; <see cref="Kind"/> says why and the message names the frames and times.</summary>
public sealed class TfException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TfException(TfErrorKind kind, string message) : base(message) => Kind = kind;

    /// <summary>Why the lookup failed.</summary>
    public TfErrorKind Kind { get; }
}

/// <summary>
/// The transform tree from /tf and /tf_static: each child frame has one parent; dynamic edges keep a
/// time-sorted history (pruned to <see cref="CacheDuration"/> behind the newest sample) and are
/// interpolated (linear translation, slerp rotation); static edges hold at all times.
/// </summary>
public sealed class TfBuffer
{
    private readonly Dictionary<string, Edge> _edges = new();

    /// <summary>Creates a buffer keeping <paramref name="cacheDuration"/> of dynamic history (default 10 s, as tf2).</summary>
    public TfBuffer(TimeSpan? cacheDuration = null) => CacheDuration = cacheDuration ?? TimeSpan.FromSeconds(10);

    /// <summary>How much dynamic history is kept per edge.</summary>
    public TimeSpan CacheDuration { get; }

    /// <summary>Every frame seen, parents and children.</summary>
    public IReadOnlyCollection<string> Frames => _edges.Keys.Concat(_edges.Values.Select(e => e.Parent)).ToHashSet();

    /// <summary>Adds every transform of a /tf (<paramref name="isStatic"/> false) or /tf_static message.</summary>
    public void Add(TFMessage message, bool isStatic)
    {
        foreach (var transform in message.Transforms)
        {
            Add(transform, isStatic);
        }
    }

    /// <summary>Adds one transform: the pose of <c>ChildFrameId</c> in <c>Header.FrameId</c> at <c>Header.Stamp</c>.</summary>
    public void Add(TransformStamped transform, bool isStatic)
    {
        string parent = Normalize(transform.Header.FrameId);
        string child = Normalize(transform.ChildFrameId);
        if (parent.Length == 0 || child.Length == 0 || parent == child)
        {
            throw new ArgumentException($"transform '{transform.Header.FrameId}' -> '{transform.ChildFrameId}' needs two different, non-empty frames");
        }
        var value = RigidTransform.From(transform.Transform);
        if (!_edges.TryGetValue(child, out var edge) || edge.Parent != parent || edge.IsStatic != isStatic)
        {
            // A child re-parented (or switched static/dynamic) starts a fresh history, as in tf2.
            edge = new Edge(parent, isStatic);
            _edges[child] = edge;
        }
        edge.Add(transform.Header.Stamp.Nanoseconds, value, (long)CacheDuration.TotalMilliseconds * 1_000_000);
    }

    /// <summary>
    /// Forgets every dynamic transform and keeps the static ones, as tf2 does when time jumps back (a bag
    /// replayed in a loop, a simulator reset): history from the later time would otherwise outrank
    /// everything that follows, which falls before the cache window and is dropped.
    /// </summary>
    public void ClearDynamic()
    {
        foreach (string child in _edges.Where(e => !e.Value.IsStatic).Select(e => e.Key).ToList())
            _edges.Remove(child);
    }

    /// <summary>
    /// T_target_source at <paramref name="time"/> (ns): maps points in <paramref name="source"/> to
    /// <paramref name="target"/>. Samples up to <paramref name="tolerance"/> outside an edge's history are
    /// clamped to its nearest end; further is an <see cref="TfErrorKind.Extrapolation"/> error. Inside the
    /// history the two samples around the time are interpolated however far apart they are (as tf2
    /// does), unless <paramref name="nearbySamplesOnly"/>: then the nearer of them must lie within the
    /// tolerance of the time, or it is a <see cref="TfErrorKind.Gap"/> error. Ground truth needs that:
    /// interpolating across a dropout would invent poses.
    /// </summary>
    public RigidTransform Lookup(string target, string source, long time, TimeSpan tolerance = default, bool nearbySamplesOnly = false)
    {
        target = Normalize(target);
        source = Normalize(source);
        foreach (var frame in new[] { target, source })
        {
            if (!_edges.ContainsKey(frame) && !_edges.Values.Any(e => e.Parent == frame))
            {
                throw new TfException(TfErrorKind.UnknownFrame, $"frame '{frame}' does not exist (known: {string.Join(", ", Frames.Order())})");
            }
        }
        if (target == source)
        {
            return RigidTransform.Identity;
        }
        long toleranceNs = (long)(tolerance.TotalMilliseconds * 1_000_000);
        var sourcePath = PathToRoot(source);
        var targetPath = PathToRoot(target);
        // Only edges below the closest common ancestor matter (as in tf2), so a lookup inside a
        // static subtree never needs the dynamic edges above it.
        var targetSet = targetPath.ToHashSet();
        string? ancestor = sourcePath.FirstOrDefault(targetSet.Contains);
        if (ancestor is null)
        {
            throw new TfException(TfErrorKind.Disconnected,
                $"'{target}' and '{source}' are in different trees (roots '{targetPath[^1]}' and '{sourcePath[^1]}'); no transform connects them");
        }
        var ancestorFromSource = FromAncestor(sourcePath, ancestor, time, toleranceNs, nearbySamplesOnly);
        var ancestorFromTarget = FromAncestor(targetPath, ancestor, time, toleranceNs, nearbySamplesOnly);
        return ancestorFromTarget.Inverse().Compose(ancestorFromSource);
    }

    private List<string> PathToRoot(string frame)
    {
        var path = new List<string> { frame };
        while (_edges.TryGetValue(frame, out var edge))
        {
            frame = edge.Parent;
            if (path.Contains(frame) || path.Count > 1000)
            {
                throw new TfException(TfErrorKind.Disconnected, $"frame '{frame}' is part of a loop in the TF tree");
            }
            path.Add(frame);
        }
        return path;
    }

    private RigidTransform FromAncestor(List<string> path, string ancestor, long time, long toleranceNs, bool nearbySamplesOnly)
    {
        var accumulated = RigidTransform.Identity;
        for (int i = 0; path[i] != ancestor; i++)
        {
            var edge = _edges[path[i]];
            accumulated = edge.At(time, toleranceNs, nearbySamplesOnly, edge.Parent, path[i]).Compose(accumulated);
        }
        return accumulated;
    }

    // tf2 ignores a leading slash (ROS 1 style frame ids).
    private static string Normalize(string frame) => frame.StartsWith('/') ? frame[1..] : frame;

    private sealed class Edge(string parent, bool isStatic)
    {
        private readonly List<(long Time, RigidTransform Value)> _samples = new();

        public string Parent { get; } = parent;

        public bool IsStatic { get; } = isStatic;

        public void Add(long time, RigidTransform value, long keepNs)
        {
            if (IsStatic)
            {
                _samples.Clear();
                _samples.Add((time, value));
                return;
            }
            int index = _samples.BinarySearch((time, value), Comparer<(long Time, RigidTransform Value)>.Create((a, b) => a.Time.CompareTo(b.Time)));
            if (index >= 0)
            {
                _samples[index] = (time, value);
            }
            else
            {
                _samples.Insert(~index, (time, value));
            }
            long oldest = _samples[^1].Time - keepNs;
            int drop = 0;
            while (drop < _samples.Count - 1 && _samples[drop].Time < oldest)
            {
                drop++;
            }
            _samples.RemoveRange(0, drop);
        }

        public RigidTransform At(long time, long toleranceNs, bool nearbySamplesOnly, string parent, string child)
        {
            if (IsStatic || _samples.Count == 1 && Math.Abs(time - _samples[0].Time) <= toleranceNs)
            {
                return _samples[0].Value;
            }
            var first = _samples[0];
            var last = _samples[^1];
            if (time < first.Time || time > last.Time)
            {
                long gap = time < first.Time ? first.Time - time : time - last.Time;
                if (gap > toleranceNs)
                {
                    throw new TfException(TfErrorKind.Extrapolation,
                        $"lookup of '{parent}' -> '{child}' at {time * 1e-9:F9} s would extrapolate {gap * 1e-9:F3} s " +
                        $"{(time < first.Time ? "before the first" : "past the last")} sample (history {first.Time * 1e-9:F3} to {last.Time * 1e-9:F3} s)");
                }
                return time < first.Time ? first.Value : last.Value;
            }
            int low = 0, upper = _samples.Count - 1;
            while (low < upper)
            {
                int mid = (low + upper) / 2;
                if (_samples[mid].Time < time) low = mid + 1; else upper = mid;
            }
            if (_samples[upper].Time == time)
            {
                return _samples[upper].Value;
            }
            var a = _samples[upper - 1];
            var b = _samples[upper];
            if (nearbySamplesOnly && Math.Min(time - a.Time, b.Time - time) > toleranceNs)
            {
                throw new TfException(TfErrorKind.Gap,
                    $"lookup of '{parent}' -> '{child}' at {time * 1e-9:F9} s falls in a {(b.Time - a.Time) * 1e-9:F3} s gap between samples " +
                    $"({a.Time * 1e-9:F3} and {b.Time * 1e-9:F3} s), wider than the tolerance allows");
            }
            return RigidTransform.Interpolate(a.Value, b.Value, (double)(time - a.Time) / (b.Time - a.Time));
        }
    }
}
