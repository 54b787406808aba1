namespace Mosaic.Transport.Dds;

/// <summary>One received message.</summary>
/// <param name="Data">CDR bytes, encapsulation header included.</param>
/// <param name="SourceTimestamp">When the publisher wrote it, nanoseconds since the epoch on its clock.</param>
public readonly record struct DdsSample(byte[] Data, long SourceTimestamp);

/// <summary>Receives CDR-serialized messages from one ROS topic.</summary>
public sealed class DdsReader
{
    private readonly DdsParticipant participant;
    private readonly int reader;

    internal DdsReader(DdsParticipant participant, string topic, int reader)
    {
        this.participant = participant;
        Topic = topic;
        this.reader = reader;
    }

    /// <summary>The ROS topic.</summary>
    public string Topic { get; }

    /// <summary>How many writers (ROS publishers) currently match this reader.</summary>
    public int MatchedWriters
    {
        get
        {
            participant.Enter();
            try
            {
                Native.Check(Native.dds_get_subscription_matched_status(reader, out var status), $"reading the match status of {Topic}");
                return (int)status.CurrentCount;
            }
            finally
            {
                participant.Exit();
            }
        }
    }

    /// <summary>Takes the oldest waiting message, if any.</summary>
    /// <exception cref="ObjectDisposedException">The participant has been disposed.</exception>
    public unsafe bool TryTake(out DdsSample sample)
    {
        participant.Enter();
        var n = 0;
        var handle = IntPtr.Zero;
        try
        {
            n = Native.Check(Native.mosaic_dds_take(reader, out handle, out var size, out var timestamp), $"taking from {Topic}");
            if (n == 0)
            {
                sample = default;
                return false;
            }
            var data = GC.AllocateUninitializedArray<byte>(checked((int)size));
            fixed (byte* destination = data)
            {
                Native.mosaic_dds_copy(handle, destination, size);
            }
            sample = new DdsSample(data, timestamp);
            return true;
        }
        finally
        {
            if (n > 0)
            {
                Native.mosaic_dds_release(handle);
            }
            participant.Exit();
        }
    }
}
