using System.Diagnostics;
using Mosaic.Ros;
using Mosaic.Ros.Bags;

namespace Mosaic.Node.Transport;

/// <summary>How a bag is replayed.</summary>
/// <param name="Rate">
/// 0: as fast as the node goes, in lockstep (the node sees every image, so a replay is deterministic and
/// gives the same poses as <c>mosaic eval</c>); r &gt; 0: at r times the recorded speed, as a live camera
/// would deliver, so images the node cannot keep up with are dropped.
/// </param>
/// <param name="Start">Seconds from the bag's first message at which delivery starts (transient-local topics such as /tf_static are delivered from the beginning).</param>
/// <param name="End">Seconds from the bag's first message at which delivery ends; negative = the end of the bag.</param>
/// <param name="RecordPath">When set, a rosbag2 directory (MCAP) to create and record every message the node publishes into.</param>
public sealed record BagReplayOptions(double Rate = 0, double Start = 0, double End = -1, string? RecordPath = null);

/// <summary>
/// Replays a rosbag2 (directory, .mcap or .db3) into the node in receive-time order and optionally
/// records what the node publishes into a new bag. Its clock is the bag's: <see cref="Now"/> is the
/// receive time of the last message delivered.
/// </summary>
public sealed class BagReplayTransport : ITransport
{
    private readonly string _bagPath;
    private readonly BagReplayOptions _options;
    private readonly Dictionary<string, (QosProfile Qos, List<Action<TransportMessage>> Handlers)> _subscriptions = new();
    private readonly Lock _recordLock = new();
    private Rosbag2Writer? _recorder;
    private long _now;

    /// <summary>Opens nothing yet: the bag is read by <see cref="RunAsync"/>; the output bag is created by the first <see cref="Advertise"/>.</summary>
    public BagReplayTransport(string bagPath, BagReplayOptions? options = null)
    {
        _options = options ?? new BagReplayOptions();
        if (_options.Rate < 0 || double.IsNaN(_options.Rate))
            throw new ArgumentException($"replay rate {_options.Rate} must be 0 (lockstep) or positive");
        _bagPath = bagPath;
    }

    /// <inheritdoc/>
    public string Description => $"bag replay of {_bagPath} ({(_options.Rate == 0 ? "lockstep, every frame" : $"{_options.Rate:0.##}x real time")})" +
                                 (_options.RecordPath is { } record ? $", recording to {record}" : "");

    /// <summary>Whether the node should process every image (lockstep) rather than only the latest.</summary>
    public bool Lockstep => _options.Rate == 0;

    /// <inheritdoc/>
    public long Now => Interlocked.Read(ref _now);

    /// <summary>Warnings the bag reader gave (a damaged summary read by linear scan, a truncated file), known once <see cref="RunAsync"/> ends.</summary>
    public IReadOnlyList<string> Warnings { get; private set; } = [];

    /// <inheritdoc/>
    public void Subscribe(string topic, string type, QosProfile qos, Action<TransportMessage> handler)
    {
        if (!_subscriptions.TryGetValue(topic, out var entry))
            _subscriptions[topic] = entry = (qos, new List<Action<TransportMessage>>());
        entry.Handlers.Add(handler);
    }

    /// <inheritdoc/>
    public IPublisher Advertise(string topic, string type, string definition, QosProfile qos)
    {
        if (_options.RecordPath is not { } path)
            return new Publisher(topic, null);
        lock (_recordLock)
        {
            _recorder ??= Rosbag2Writer.Create(path);
            _recorder.AddTopic(new BagTopic(topic, type, "cdr", qos.ToOfferedQosYaml()), definition);
        }
        return new Publisher(topic, this);
    }

    /// <inheritdoc/>
    /// <exception cref="BagFormatException">The bag cannot be opened or is damaged mid-way (messages before the damage have been delivered).</exception>
    public Task RunAsync(CancellationToken cancellation) => Task.Run(() => Replay(cancellation), cancellation);

    private void Replay(CancellationToken cancellation)
    {
        using var bag = Rosbag2Reader.Open(_bagPath);
        try
        {
            Deliver(bag, cancellation);
        }
        finally
        {
            Warnings = bag.Warnings;
        }
    }

    private void Deliver(Rosbag2Reader bag, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        long first = long.MinValue, start = long.MinValue, end = long.MaxValue;
        foreach (var message in bag.ReadMessages(new BagReadOptions(_subscriptions.Keys.ToHashSet())))
        {
            cancellation.ThrowIfCancellationRequested();
            if (first == long.MinValue)
            {
                first = message.Timestamp;
                start = first + (long)(_options.Start * 1e9);
                end = _options.End < 0 ? long.MaxValue : first + (long)(_options.End * 1e9);
            }
            if (message.Timestamp > end)
                break;
            var (qos, handlers) = _subscriptions[message.Topic.Name];
            if (message.Timestamp < start && qos.Durability != Durability.TransientLocal)
                continue;
            if (_options.Rate > 0 && message.Timestamp >= start)
            {
                var due = TimeSpan.FromSeconds((message.Timestamp - start) * 1e-9 / _options.Rate);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                    cancellation.WaitHandle.WaitOne(wait);
            }
            Interlocked.Exchange(ref _now, Math.Max(Now, message.Timestamp));
            var delivered = new TransportMessage(message.Topic.Name, message.Topic.Type, message.Data, message.Timestamp);
            foreach (var handler in handlers)
                handler(delivered);
        }
    }

    private void Record(string topic, ReadOnlyMemory<byte> data)
    {
        lock (_recordLock)
        {
            _recorder?.Write(topic, Now, data.Span);
        }
    }

    /// <summary>Finishes the output bag (its summary and metadata.yaml).</summary>
    public void Dispose()
    {
        lock (_recordLock)
        {
            _recorder?.Dispose();
            _recorder = null;
        }
    }

    private sealed class Publisher(string topic, BagReplayTransport? owner) : IPublisher
    {
        public string Topic { get; } = topic;

        public void Publish(ReadOnlyMemory<byte> data) => owner?.Record(Topic, data);
    }
}
