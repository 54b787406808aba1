using Mosaic.Ros;

namespace Mosaic.Node.Transport;

/// <summary>One serialized message as a transport delivers it.</summary>
/// <param name="Topic">Resolved topic name.</param>
/// <param name="Type">ROS type name, e.g. <c>sensor_msgs/msg/Image</c>.</param>
/// <param name="Data">CDR bytes, encapsulation header included.</param>
/// <param name="ReceivedAt">Receive time on the transport's clock, nanoseconds.</param>
public readonly record struct TransportMessage(string Topic, string Type, ReadOnlyMemory<byte> Data, long ReceivedAt);

/// <summary>Sends serialized messages on one topic.</summary>
public interface IPublisher
{
    /// <summary>The resolved topic.</summary>
    string Topic { get; }

    /// <summary>Sends CDR bytes (encapsulation header included).</summary>
    void Publish(ReadOnlyMemory<byte> data);
}

/// <summary>
/// How the node talks to the outside: bag replay, Cyclone DDS or rclcs. Messages stay serialized (CDR)
/// at this boundary, so every transport carries the same bytes and the node decodes them once.
/// Handlers run on the transport's delivery thread and must return quickly, except that a transport
/// may let a handler hold delivery back (bag replay in lockstep).
/// </summary>
public interface ITransport : IDisposable
{
    /// <summary>What this transport is connected to, for logs.</summary>
    string Description { get; }

    /// <summary>Now on the transport's clock (nanoseconds since the epoch): the bag's clock for a replay, the system clock live.</summary>
    long Now { get; }

    /// <summary>Problems with the input that did not stop delivery (e.g. a truncated bag, read up to the damage).</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>Subscribes <paramref name="handler"/> to a topic of type <paramref name="type"/>.</summary>
    void Subscribe(string topic, string type, QosProfile qos, Action<TransportMessage> handler);

    /// <summary>Declares a topic this node publishes.</summary>
    /// <param name="topic">Resolved topic name.</param>
    /// <param name="type">ROS type name.</param>
    /// <param name="definition">The type's ros2msg definition text (for recorded bags).</param>
    /// <param name="qos">Offered QoS.</param>
    IPublisher Advertise(string topic, string type, string definition, QosProfile qos);

    /// <summary>
    /// Delivers messages until the input ends (a replayed bag's last message) or <paramref name="cancellation"/>
    /// fires. A live transport runs until cancelled.
    /// </summary>
    Task RunAsync(CancellationToken cancellation);
}
