using Mosaic.Node.Transport;
using Mosaic.Ros;
using ROS2;
using QosProfile = Mosaic.Ros.QosProfile;

namespace Mosaic.Rclcs;

/// <summary>
/// The node on a ROS 2 machine through rcldotnet (ros2_dotnet): one rcl node, typed subscriptions and publishers
/// converted to and from CDR (<see cref="RclcsMessages"/>), spun on one thread. Untested here (no ROS 2); the
/// Cyclone DDS transport (Mosaic.Node.Transport.DdsTransport) is the tested live link.
/// </summary>
internal sealed class RclcsTransport : ITransport
{
    private readonly ROS2.Node _node;
    private readonly Lock _gate = new();

    /// <summary>Creates the rcl node <paramref name="name"/> in <paramref name="ns"/> (rcl is initialised once per process).</summary>
    public RclcsTransport(string name, string ns)
    {
        RCLdotnet.Init();
        _node = RCLdotnet.CreateNode(name, ns);
    }

    /// <inheritdoc/>
    public string Description => $"rcldotnet ({_node.FullyQualifiedName})";

    /// <inheritdoc/>
    public long Now => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <inheritdoc/>
    public IReadOnlyList<string> Warnings => [];

    /// <inheritdoc/>
    public void Subscribe(string topic, string type, QosProfile qos, Action<TransportMessage> handler)
    {
        void Deliver(object message) => handler(new TransportMessage(topic, type, RclcsMessages.ToCdr(message), Now));
        var profile = ToRcl(qos);
        lock (_gate)
        {
            switch (type)
            {
                case "sensor_msgs/msg/Image": _node.CreateSubscription<sensor_msgs.msg.Image>(topic, Deliver, profile); break;
                case "sensor_msgs/msg/CompressedImage": _node.CreateSubscription<sensor_msgs.msg.CompressedImage>(topic, Deliver, profile); break;
                case "sensor_msgs/msg/CameraInfo": _node.CreateSubscription<sensor_msgs.msg.CameraInfo>(topic, Deliver, profile); break;
                case "nav_msgs/msg/Odometry": _node.CreateSubscription<nav_msgs.msg.Odometry>(topic, Deliver, profile); break;
                case "tf2_msgs/msg/TFMessage": _node.CreateSubscription<tf2_msgs.msg.TFMessage>(topic, Deliver, profile); break;
                case "geometry_msgs/msg/PoseWithCovarianceStamped": _node.CreateSubscription<geometry_msgs.msg.PoseWithCovarianceStamped>(topic, Deliver, profile); break;
                case "rosgraph_msgs/msg/Clock": _node.CreateSubscription<rosgraph_msgs.msg.Clock>(topic, Deliver, profile); break;
                default: throw new NotSupportedException($"the rclcs transport cannot subscribe to {type}");
            }
        }
    }

    /// <inheritdoc/>
    public IPublisher Advertise(string topic, string type, string definition, QosProfile qos)
    {
        var profile = ToRcl(qos);
        lock (_gate)
        {
            return type switch
            {
                "geometry_msgs/msg/PoseWithCovarianceStamped" => new Publisher<geometry_msgs.msg.PoseWithCovarianceStamped>(topic, type, _node.CreatePublisher<geometry_msgs.msg.PoseWithCovarianceStamped>(topic, profile), _gate),
                "tf2_msgs/msg/TFMessage" => new Publisher<tf2_msgs.msg.TFMessage>(topic, type, _node.CreatePublisher<tf2_msgs.msg.TFMessage>(topic, profile), _gate),
                "diagnostic_msgs/msg/DiagnosticArray" => new Publisher<diagnostic_msgs.msg.DiagnosticArray>(topic, type, _node.CreatePublisher<diagnostic_msgs.msg.DiagnosticArray>(topic, profile), _gate),
                "sensor_msgs/msg/Image" => new Publisher<sensor_msgs.msg.Image>(topic, type, _node.CreatePublisher<sensor_msgs.msg.Image>(topic, profile), _gate),
                "sensor_msgs/msg/PointCloud2" => new Publisher<sensor_msgs.msg.PointCloud2>(topic, type, _node.CreatePublisher<sensor_msgs.msg.PointCloud2>(topic, profile), _gate),
                _ => throw new NotSupportedException($"the rclcs transport cannot publish {type}"),
            };
        }
    }

    /// <inheritdoc/>
    public Task RunAsync(CancellationToken cancellation) => Task.Factory.StartNew(() =>
    {
        while (!cancellation.IsCancellationRequested && RCLdotnet.Ok())
        {
            lock (_gate)
                RCLdotnet.SpinOnce(_node, 100);
        }
        cancellation.ThrowIfCancellationRequested();
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <inheritdoc/>
    public void Dispose()
    {
        // rcldotnet's Node is released by its SafeHandles; rcl itself is shut down with the process.
    }

    private static ROS2.QosProfile ToRcl(QosProfile qos)
    {
        var profile = ROS2.QosProfile.KeepLast(qos.Depth);
        profile = qos.Reliability == Reliability.Reliable ? profile.WithReliable() : profile.WithBestEffort();
        return qos.Durability == Durability.TransientLocal ? profile.WithTransientLocal() : profile.WithVolatile();
    }

    private sealed class Publisher<T>(string topic, string type, ROS2.Publisher<T> publisher, Lock gate) : Node.Transport.IPublisher
        where T : IRosMessage
    {
        public string Topic => topic;

        public void Publish(ReadOnlyMemory<byte> data)
        {
            var message = (T)RclcsMessages.FromCdr(type, data.Span);
            lock (gate)
                publisher.Publish(message);
        }
    }
}
