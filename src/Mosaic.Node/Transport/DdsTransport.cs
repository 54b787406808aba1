using Mosaic.Ros;
using Mosaic.Transport.Dds;

namespace Mosaic.Node.Transport;

/// <summary>
/// The node on a live ROS 2 network through Cyclone DDS: every subscription and publisher is a DDS endpoint
/// named and typed as rmw_cyclonedds names them, so ROS 2 tools (<c>ros2 topic echo</c>, RViz, rosbag2) see
/// ordinary ROS topics. Messages are delivered on one receive thread, in the order their publishers wrote
/// them; the clock is the system clock.
/// </summary>
public sealed class DdsTransport : ITransport
{
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(200);
    private readonly DdsParticipant _participant;
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];

    /// <summary>Joins DDS domain <paramref name="domainId"/> (the ROS_DOMAIN_ID).</summary>
    /// <param name="domainId">The domain.</param>
    /// <param name="config">Cyclone configuration XML, or null for Cyclone's own (the CYCLONEDDS_URI environment variable).</param>
    /// <exception cref="DdsException">Cyclone DDS is not installed or refused to start.</exception>
    public DdsTransport(uint domainId, string? config = null) => _participant = new DdsParticipant(domainId, config);

    /// <inheritdoc/>
    public string Description => $"Cyclone DDS, ROS_DOMAIN_ID {_participant.DomainId}";

    /// <inheritdoc/>
    public long Now => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <inheritdoc/>
    public IReadOnlyList<string> Warnings => [];

    /// <inheritdoc/>
    public void Subscribe(string topic, string type, QosProfile qos, Action<TransportMessage> handler)
    {
        var reader = _participant.CreateReader(topic, type, qos);
        lock (_gate)
            _subscriptions.Add(new Subscription(reader, type, handler));
    }

    /// <inheritdoc/>
    public IPublisher Advertise(string topic, string type, string definition, QosProfile qos) =>
        new Publisher(_participant.CreateWriter(topic, type, qos));

    /// <inheritdoc/>
    /// <remarks>Runs until cancelled.</remarks>
    public Task RunAsync(CancellationToken cancellation) =>
        Task.Factory.StartNew(() => Receive(cancellation), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Leaves the DDS domain.</summary>
    public void Dispose() => _participant.Dispose();

    private void Receive(CancellationToken cancellation)
    {
        using var wake = cancellation.Register(_participant.Wake);
        var batch = new List<(DdsSample Sample, Subscription Subscription)>();
        while (!cancellation.IsCancellationRequested)
        {
            _participant.Wait(PollPeriod);
            Subscription[] subscriptions;
            lock (_gate)
                subscriptions = [.. _subscriptions];
            foreach (var subscription in subscriptions)
            {
                while (subscription.Reader.TryTake(out var sample))
                    batch.Add((sample, subscription));
            }
            // Readers are drained one after the other; ordering by the publishers' write time restores what was sent
            // first across topics (a camera_info written before its image reaches the node before it).
            foreach (var (sample, subscription) in batch.OrderBy(b => b.Sample.SourceTimestamp))
            {
                if (cancellation.IsCancellationRequested)
                    break;
                subscription.Handler(new TransportMessage(subscription.Reader.Topic, subscription.Type, sample.Data, Now));
            }
            batch.Clear();
        }
        cancellation.ThrowIfCancellationRequested();
    }

    private sealed record Subscription(DdsReader Reader, string Type, Action<TransportMessage> Handler);

    private sealed class Publisher(DdsWriter writer) : IPublisher
    {
        public string Topic => writer.Topic;

        public void Publish(ReadOnlyMemory<byte> data) => writer.Write(data.Span);
    }
}
