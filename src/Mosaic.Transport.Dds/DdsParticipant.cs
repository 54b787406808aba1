using Mosaic.Ros;

namespace Mosaic.Transport.Dds;

/// <summary>
/// A Cyclone DDS domain participant that exchanges already-serialized ROS 2 messages (CDR) with ROS 2 nodes:
/// topics and types named as rmw_cyclonedds names them, ROS QoS profiles mapped onto DDS QoS, and one
/// waitset that wakes when any of its readers has data. Cyclone is thread-safe: readers and writers may be
/// used from any thread.
/// </summary>
public sealed class DdsParticipant : IDisposable
{
    private readonly int participant;
    private readonly int waitset;
    private readonly Dictionary<string, (string Type, int Topic, IntPtr Sertype)> topics = new();
    private readonly Lock gate = new();
    // Readers and writers hold it shared while they call into Cyclone, Dispose exclusively: deleting the participant
    // frees the types that a write in flight on another thread would still be using.
    private readonly ReaderWriterLockSlim lifetime = new();
    private bool disposed;

    /// <summary>Joins DDS domain <paramref name="domainId"/>.</summary>
    /// <param name="domainId">The domain (ROS_DOMAIN_ID).</param>
    /// <param name="config">
    /// Cyclone configuration XML for this domain, or null for Cyclone's own (the <c>CYCLONEDDS_URI</c>
    /// environment variable, else defaults). Only the first participant of a domain in a process configures it.
    /// </param>
    /// <exception cref="DdsException">libddsc or the shim is missing, or Cyclone refused.</exception>
    public DdsParticipant(uint domainId, string? config = null)
    {
        if (domainId > RosDdsNames.MaxDomainId)
        {
            throw new ArgumentOutOfRangeException(nameof(domainId), domainId, $"domain IDs go from 0 to {RosDdsNames.MaxDomainId}");
        }
        Native.Require();
        if (config is not null)
        {
            // A domain that already exists in this process keeps its configuration.
            var domain = Native.dds_create_domain(domainId, config);
            if (domain < 0 && domain != Native.RetcodePreconditionNotMet)
            {
                Native.Check(domain, $"configuring DDS domain {domainId}");
            }
        }
        participant = Native.Check(Native.dds_create_participant(domainId, IntPtr.Zero, IntPtr.Zero), $"joining DDS domain {domainId}");
        DomainId = domainId;
        waitset = Native.Check(Native.dds_create_waitset(participant), "creating a waitset");
        // Attached to itself, the waitset wakes when its trigger is set (Wake).
        Native.Check(Native.dds_waitset_attach(waitset, waitset, 0), "arming the waitset");
    }

    /// <summary>The domain this participant is in.</summary>
    public uint DomainId { get; }

    /// <summary>Creates a writer of <paramref name="rosType"/> messages on <paramref name="rosTopic"/> offering <paramref name="qos"/>.</summary>
    public DdsWriter CreateWriter(string rosTopic, string rosType, QosProfile qos)
    {
        Enter();
        try
        {
            var (topic, sertype) = Topic(rosTopic, rosType);
            var writer = WithQos(qos, q => Native.dds_create_writer(participant, topic, q, IntPtr.Zero));
            return new DdsWriter(this, rosTopic, Native.Check(writer, $"creating a writer on {rosTopic}"), sertype);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Creates a reader of <paramref name="rosType"/> messages on <paramref name="rosTopic"/> requesting <paramref name="qos"/>.</summary>
    public DdsReader CreateReader(string rosTopic, string rosType, QosProfile qos)
    {
        Enter();
        try
        {
            var (topic, _) = Topic(rosTopic, rosType);
            var reader = Native.Check(WithQos(qos, q => Native.dds_create_reader(participant, topic, q, IntPtr.Zero)), $"creating a reader on {rosTopic}");
            var condition = Native.Check(Native.dds_create_readcondition(reader, Native.AnyState), $"creating a read condition on {rosTopic}");
            Native.Check(Native.dds_waitset_attach(waitset, condition, reader), $"watching {rosTopic}");
            return new DdsReader(this, rosTopic, reader);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Blocks until a reader of this participant has data, <see cref="Wake"/> is called, or
    /// <paramref name="timeout"/> passes. Returns true unless it timed out.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The participant has been disposed.</exception>
    public unsafe bool Wait(TimeSpan timeout)
    {
        Enter();
        try
        {
            IntPtr attached;
            var n = Native.Check(Native.dds_waitset_wait(waitset, &attached, 1, (long)timeout.TotalNanoseconds), "waiting for data");
            Native.dds_waitset_set_trigger(waitset, false);
            return n > 0;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Ends a <see cref="Wait"/> in progress (or the next one) early.</summary>
    public void Wake()
    {
        lock (gate)
        {
            if (!disposed)
            {
                Native.dds_waitset_set_trigger(waitset, true);
            }
        }
    }

    /// <summary>
    /// Leaves the domain, deleting every reader and writer of this participant; waits for calls in progress on them
    /// to return (a <see cref="Wait"/> is woken first). Later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        Wake();
        lifetime.EnterWriteLock();
        try
        {
            lock (gate)
            {
                if (disposed)
                {
                    return;
                }
                disposed = true;
            }
            Native.dds_delete(participant);
        }
        finally
        {
            lifetime.ExitWriteLock();
        }
    }

    /// <summary>Marks a call into Cyclone on this participant's entities; pair with <see cref="Exit"/>.</summary>
    internal void Enter()
    {
        lifetime.EnterReadLock();
        if (Volatile.Read(ref disposed))
        {
            lifetime.ExitReadLock();
            throw new ObjectDisposedException(nameof(DdsParticipant));
        }
    }

    internal void Exit() => lifetime.ExitReadLock();

    private (int Topic, IntPtr Sertype) Topic(string rosTopic, string rosType)
    {
        var ddsTopic = RosDdsNames.Topic(rosTopic);
        var ddsType = RosDdsNames.Type(rosType);
        lock (gate)
        {
            if (topics.TryGetValue(ddsTopic, out var existing))
            {
                // Cyclone would allow it, but ROS tools cannot make sense of a topic with two types.
                return existing.Type == rosType
                    ? (existing.Topic, existing.Sertype)
                    : throw new DdsException($"topic {rosTopic} already carries {existing.Type}, not {rosType}");
            }
            var topic = Native.mosaic_dds_create_topic(participant, ddsTopic, ddsType, IntPtr.Zero, out var sertype);
            Native.Check(topic, $"creating topic {rosTopic} of type {rosType}");
            topics[ddsTopic] = (rosType, topic, sertype);
            return (topic, sertype);
        }
    }

    // As rmw_cyclonedds: keep-last history, plain CDR (XCDR1) only, and no dispose when a writer goes away.
    private static unsafe int WithQos(QosProfile profile, Func<IntPtr, int> create)
    {
        var qos = Native.dds_create_qos();
        try
        {
            Native.dds_qset_reliability(qos, profile.Reliability == Reliability.Reliable ? 1 : 0, 100_000_000);
            Native.dds_qset_durability(qos, profile.Durability == Durability.TransientLocal ? 1 : 0);
            Native.dds_qset_history(qos, 0, profile.Depth);
            Native.dds_qset_writer_data_lifecycle(qos, false);
            short xcdr1 = Native.DataRepresentationXcdr1;
            Native.dds_qset_data_representation(qos, 1, &xcdr1);
            return create(qos);
        }
        finally
        {
            Native.dds_delete_qos(qos);
        }
    }
}
