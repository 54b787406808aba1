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
/// transport waits instead, so every image is processed.
/// </summary>
internal sealed class FrameSlot(bool lockstep)
{
    private readonly object _gate = new();
    private PendingFrame? _waiting;
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
                Monitor.PulseAll(_gate);
                return true;
            }
            frame = default;
            return false;
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
