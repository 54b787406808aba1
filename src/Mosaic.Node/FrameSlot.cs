using Mosaic.Node.Transport;

namespace Mosaic.Node;

/// <summary>An image waiting to be localized, with what was known when it arrived.</summary>
/// <param name="Message">The serialized image.</param>
/// <param name="Camera">The camera model from the latest camera_info at receipt, or null.</param>
/// <param name="ReceivedTicks"><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> at receipt, for latency.</param>
/// <param name="Sequence">How many images had arrived with this one (1 for the first).</param>
/// <param name="Epoch">How many times time had gone back when it arrived (<see cref="TimeJumps"/>): an image from before a jump is not localized after it.</param>
internal readonly record struct PendingFrame(TransportMessage Message, Core.Cameras.CameraModel? Camera, long ReceivedTicks, long Sequence, int Epoch);

/// <summary>
/// Hand-over of images from the transport thread to the processing thread. Live, it holds only the
/// latest image: a newer one replaces a waiting one, which is counted as dropped, so the node always
/// works on the freshest frame and memory stays bounded. In lockstep (bag replay at full speed) the
/// transport waits instead, so every image is processed, and it delivers nothing received more than
/// <paramref name="lookahead"/> after the oldest image not yet done until that image is done: otherwise, where a
/// drive has no image for a while, the transport would race through seconds of odometry and push the
/// samples that image needs out of the history kept (10 s), and the replay would no longer be deterministic.
/// </summary>
internal sealed class FrameSlot(bool lockstep, TimeSpan lookahead)
{
    private readonly object _gate = new();
    private readonly long _lookaheadNs = (long)(lookahead.TotalMilliseconds * 1_000_000);
    private PendingFrame? _waiting;
    /// <summary>The receive time of the image being processed; null when none is.</summary>
    private long? _inProgress;
    private bool _completed;

    /// <summary>Images replaced before they were processed.</summary>
    public long Dropped { get; private set; }

    /// <summary>Whether a newer image is waiting (the transport has delivered everything before it).</summary>
    public bool HasWaiting
    {
        get
        {
            lock (_gate)
                return _waiting is not null;
        }
    }

    /// <summary>Offers an image; in lockstep, blocks until the previous one has been taken.</summary>
    public void Put(PendingFrame frame, CancellationToken cancellation)
    {
        lock (_gate)
        {
            while (lockstep && _waiting is not null && !_completed)
            {
                cancellation.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 100);
            }
            if (_waiting is not null)
                Dropped++;
            _waiting = frame;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Takes the waiting image, waiting for one; false once the input has ended and nothing is left, or on cancellation.</summary>
    public bool TryTake(out PendingFrame frame, CancellationToken cancellation)
    {
        lock (_gate)
        {
            while (_waiting is null && !_completed && !cancellation.IsCancellationRequested)
                Monitor.Wait(_gate, 100);
            if (_waiting is { } waiting && !cancellation.IsCancellationRequested)
            {
                frame = waiting;
                _waiting = null;
                _inProgress = waiting.Message.ReceivedAt;
                Monitor.PulseAll(_gate);
                return true;
            }
            frame = default;
            return false;
        }
    }

    /// <summary>The image last taken has been processed.</summary>
    public void Done()
    {
        lock (_gate)
        {
            _inProgress = null;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// In lockstep, waits before a message received at <paramref name="receivedAt"/> is delivered while it lies
    /// more than the lookahead past the oldest image not yet done (in progress, or else waiting to be taken);
    /// live, returns at once.
    /// </summary>
    public void WaitToDeliver(long receivedAt, CancellationToken cancellation)
    {
        if (!lockstep)
            return;
        lock (_gate)
        {
            while ((_inProgress ?? _waiting?.Message.ReceivedAt) is { } oldest && receivedAt > oldest + _lookaheadNs && !_completed)
            {
                cancellation.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 100);
            }
        }
    }

    /// <summary>No more images will come; the processing side finishes what is waiting.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
