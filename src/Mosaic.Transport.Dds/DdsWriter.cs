namespace Mosaic.Transport.Dds;

/// <summary>Publishes CDR-serialized messages on one ROS topic.</summary>
public sealed class DdsWriter
{
    private readonly DdsParticipant participant;
    private readonly int writer;
    private readonly IntPtr sertype;

    internal DdsWriter(DdsParticipant participant, string topic, int writer, IntPtr sertype)
    {
        this.participant = participant;
        Topic = topic;
        this.writer = writer;
        this.sertype = sertype;
    }

    /// <summary>The ROS topic.</summary>
    public string Topic { get; }

    /// <summary>How many readers (ROS subscriptions) currently match this writer.</summary>
    public int MatchedReaders
    {
        get
        {
            participant.Enter();
            try
            {
                Native.Check(Native.dds_get_publication_matched_status(writer, out var status), $"reading the match status of {Topic}");
                return (int)status.CurrentCount;
            }
            finally
            {
                participant.Exit();
            }
        }
    }

    /// <summary>Publishes one message: its CDR bytes, encapsulation header included.</summary>
    /// <exception cref="DdsException">Cyclone refused the sample (e.g. a reliable reader blocked it past 100 ms).</exception>
    /// <exception cref="ObjectDisposedException">The participant has been disposed.</exception>
    public unsafe void Write(ReadOnlySpan<byte> cdr)
    {
        participant.Enter();
        try
        {
            fixed (byte* bytes = cdr)
            {
                Native.Check(Native.mosaic_dds_write(writer, sertype, bytes, (uint)cdr.Length), $"publishing on {Topic}");
            }
        }
        finally
        {
            participant.Exit();
        }
    }
}
