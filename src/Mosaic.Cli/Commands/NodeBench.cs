using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Core.Maps;
using Mosaic.Localization;
using Mosaic.Rendering.Cuda;
using Mosaic.Localization.Parameters;
using Mosaic.Node;
using Mosaic.Node.Transport;
using Mosaic.Rendering;
using Mosaic.Ros;
using Mosaic.Ros.Bags;
using Mosaic.Ros.Messages;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary>
/// <c>mosaic bench node</c>: the node under load. A loopback transport publishes a drive's images
/// (cycled, restamped with the wall clock) faster than the node can localize them; the node keeps
/// the latest frame, counts drops, and memory is sampled as frames go by.
/// </summary>
internal static class NodeBench
{
    public static Command Create()
    {
        var map = new Option<string>("--map") { Description = "Map directory.", Required = true };
        var bag = new Option<string>("--bag") { Description = "Drive whose images (and camera_info, /tf_static) are published.", Required = true };
        var parameters = new ParameterOptions("Parameter file of the node (config/mosaic.yaml); odometry is off in this benchmark.");
        var frames = new Option<int>("--frames") { Description = "Images to publish.", DefaultValueFactory = _ => 10_000 };
        var rate = new Option<double>("--rate") { Description = "Images per second.", DefaultValueFactory = _ => 100 };
        var command = new Command("node", "The node under load: images published faster than it localizes; drops, latency (receipt to pose publish) and memory.")
        {
            map, bag, parameters.Files, parameters.Overrides, frames, rate,
        };
        command.SetAction(parse =>
        {
            var (files, overrides) = parameters.Read(parse);
            var settings = LocalizationParameters.Load(files, overrides);
            settings.Odometry.Source = "none";
            settings.Map = parse.GetValue(map)!;
            var privacyMap = MapDirectory.Load(settings.Map);
            var compute = Compute.Renderer(privacyMap.Gaussians, settings.Compute);
            var renderer = compute.Renderer;
            using var coarseRenderer = ComputeBackends.CreateCoarse(compute, privacyMap.Gaussians, settings.Localizer.CoarseMapVoxel, settings.Compute.Device);
            using var sharpRenderer = ComputeBackends.CreateSharp(compute, privacyMap.Gaussians, settings.Localizer.SharpMapScale, settings.Localizer.SharpMapMaxLoss > 0, settings.Compute.Device);
            int count = parse.GetValue(frames);
            var names = new NodeNames("mosaic");
            var transport = new LoopbackTransport(parse.GetValue(bag)!, settings, names.Resolve(settings.Topics.Pose), count, parse.GetValue(rate));
            var node = new LocalizationNode(settings, names, transport, privacyMap.Gaussians, Localizer.ForMap(privacyMap, settings.Localizer, renderer, coarseRenderer, sharpRenderer), renderer,
                NullLogger.Instance, lockstep: false);
            var clock = Stopwatch.StartNew();
            AnsiConsole.MarkupLine($"publishing {count} images at {parse.GetValue(rate)} Hz ({transport.Width}x{transport.Height}, localizer levels {settings.Localizer.CoarsestLevel}..{settings.Localizer.FinestLevel}) ...");
            node.RunAsync(CancellationToken.None).GetAwaiter().GetResult();
            var table = new Table().AddColumns("frames published", "working set (MiB)", "managed heap (MiB)");
            foreach (var (published, workingSet, heap) in transport.MemorySamples)
                table.AddRow($"{published}", $"{workingSet / 1048576.0:F0}", $"{heap / 1048576.0:F0}");
            AnsiConsole.Write(table);
            var latency = node.Statistics.LatencyPercentiles();
            AnsiConsole.MarkupLine($"{count} published in {clock.Elapsed.TotalSeconds:F0} s: {node.Statistics.FramesProcessed} localized, {node.FramesDropped} dropped, " +
                                   $"{transport.PosesReceived} poses published; latency p50 {latency?.P50:F0} ms, p95 {latency?.P95:F0} ms (last {latency?.Count} frames)");
            return 0;
        });
        return command;
    }

    /// <summary>Publishes a drive's images at a fixed wall-clock rate, restamped with the system clock; receives what the node publishes.</summary>
    private sealed class LoopbackTransport : ITransport
    {
        private readonly Dictionary<string, List<Action<TransportMessage>>> _handlers = new();
        private readonly List<CompressedImage> _images = new();
        private readonly List<(string Topic, byte[] Data)> _static = new();
        private readonly CameraInfo _info;
        private readonly LocalizationParameters _parameters;
        private readonly int _count;
        private readonly double _rate;
        private readonly string _poseTopic;
        private long _poses;

        public LoopbackTransport(string bagPath, LocalizationParameters parameters, string poseTopic, int count, double rate)
        {
            (_parameters, _poseTopic, _count, _rate) = (parameters, poseTopic, count, rate);
            using var bag = Rosbag2Reader.Open(bagPath);
            CameraInfo? info = null;
            var topics = new HashSet<string> { parameters.Topics.Image, parameters.Topics.CameraInfo, parameters.Topics.TfStatic };
            foreach (var message in bag.ReadMessages(new BagReadOptions(topics)))
            {
                if (message.Topic.Name == parameters.Topics.Image)
                    _images.Add(Rosbag2Reader.Decode<CompressedImage>(message));
                else if (message.Topic.Name == parameters.Topics.CameraInfo)
                    info ??= Rosbag2Reader.Decode<CameraInfo>(message);
                else
                    _static.Add((message.Topic.Name, message.Data.ToArray()));
            }
            _info = info ?? throw new ArgumentException($"{bagPath}: no camera_info on {parameters.Topics.CameraInfo}");
            if (_images.Count == 0)
                throw new ArgumentException($"{bagPath}: no CompressedImage on {parameters.Topics.Image}");
        }

        public int Width => (int)_info.Width;

        public int Height => (int)_info.Height;

        public long PosesReceived => Interlocked.Read(ref _poses);

        public List<(int Published, long WorkingSet, long Heap)> MemorySamples { get; } = new();

        public string Description => $"loopback ({_count} images at {_rate} Hz)";

        public long Now => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

        public IReadOnlyList<string> Warnings => [];

        public void Subscribe(string topic, string type, QosProfile qos, Action<TransportMessage> handler)
        {
            if (!_handlers.TryGetValue(topic, out var list))
                _handlers[topic] = list = new List<Action<TransportMessage>>();
            list.Add(handler);
        }

        public IPublisher Advertise(string topic, string type, string definition, QosProfile qos) => new Counter(topic, this);

        public Task RunAsync(CancellationToken cancellation) => Task.Run(() =>
        {
            foreach (var (topic, data) in _static)
                Deliver(topic, "tf2_msgs/msg/TFMessage", data);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < _count && !cancellation.IsCancellationRequested; i++)
            {
                var wait = TimeSpan.FromSeconds(i / _rate) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                    Thread.Sleep(wait);
                var header = new Header(RosTime.FromNanoseconds(Now), _images[0].Header.FrameId);
                Deliver(_parameters.Topics.CameraInfo, CameraInfo.Definition.Name, RosSerializer.Serialize(_info with { Header = header }));
                Deliver(_parameters.Topics.Image, CompressedImage.Definition.Name, RosSerializer.Serialize(_images[i % _images.Count] with { Header = header }));
                if ((i + 1) % 1000 == 0 || i == 0)
                {
                    using var process = Process.GetCurrentProcess();
                    MemorySamples.Add((i + 1, process.WorkingSet64, GC.GetTotalMemory(false)));
                }
            }
        }, cancellation);

        private void Deliver(string topic, string type, byte[] data)
        {
            if (_handlers.TryGetValue(topic, out var handlers))
            {
                foreach (var handler in handlers)
                    handler(new TransportMessage(topic, type, data, Now));
            }
        }

        public void Dispose()
        {
        }

        private sealed class Counter(string topic, LoopbackTransport owner) : IPublisher
        {
            public string Topic { get; } = topic;

            public void Publish(ReadOnlyMemory<byte> data)
            {
                if (Topic == owner._poseTopic)
                    Interlocked.Increment(ref owner._poses);
            }
        }
    }
}
