using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Node.Transport;
using Mosaic.Rendering;
using Mosaic.Ros;
using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;

namespace Mosaic.Node;

/// <summary>
/// The localization node over any <see cref="ITransport"/>: subscribes to the camera, camera_info,
/// odometry (topic or TF), /tf_static, /initialpose, (with topics.depth) the depth camera and (with
/// use_sim_time) /clock; localizes the latest
/// image with the <see cref="Localizer"/>; publishes the pose (latched), map → odom on /tf (REP-105),
/// /diagnostics, the map as a latched point cloud and optional debug label images. A bad message is
/// counted and reported, never fatal.
/// Topics, frames and QoS are all declared in <see cref="Start"/>.
/// </summary>
public sealed class LocalizationNode
{
    private static readonly string[] ImageTypes = [Image.Definition.Name, CompressedImage.Definition.Name];
    private readonly LocalizationParameters _parameters;
    private readonly NodeNames _names;
    private readonly ITransport _transport;
    private readonly GaussianMap _map;
    private readonly Localizer _localizer;
    private readonly ILabelRenderer _renderer;
    private readonly ILogger _logger;
    private readonly FrameSlot _slot;
    private readonly TfBuffer _tf = new();
    private readonly Lock _tfLock = new();
    private readonly Lock _diagnosticsLock = new();
    private readonly ManualResetEventSlim _odometryArrived = new();
    private readonly ManualResetEventSlim _depthArrived = new();
    private readonly ManualResetEventSlim _cameraInfoArrived = new();
    private readonly ManualResetEventSlim _depthCameraInfoArrived = new();
    /// <summary>The latest depth images (oldest first), for pairing with colour images by stamp.</summary>
    private readonly Queue<(long Stamp, TransportMessage Message)> _depthImages = new();
    private readonly Lock _depthLock = new();
    private volatile CameraModel? _camera, _depthCamera;
    private InitialPose? _pendingInitialPose;
    private Se3? _mapFromOdom;
    private long _latestOdometryStamp = long.MinValue;
    /// <summary>Judges every stamped input for time going back; guarded by <see cref="_tfLock"/>.</summary>
    private readonly TimeJumps _timeJumps = new();
    /// <summary>Handles the message whose stale stamp <see cref="_timeJumps"/> holds, once time is known to have gone back; guarded by <see cref="_tfLock"/>.</summary>
    private Action? _held;
    /// <summary>How many times time has gone back; an image carries the count at its arrival (<see cref="PendingFrame.Epoch"/>). Guarded by <see cref="_tfLock"/>.</summary>
    private int _epoch;
    /// <summary>The <see cref="_epoch"/> the localizer's state belongs to (processing thread only).</summary>
    private int _localizerEpoch;
    private long _simTime;
    private long _lastDiagnostics = long.MinValue;
    private LocalizationResult? _lastResult;
    private LocalizerState _lastState = LocalizerState.Uninitialised;
    private double _loggedDrift = double.NaN;
    private bool _warnedDrift;
    private volatile bool _inputEnded;
    private CancellationToken _cancellation;
    private IPublisher? _posePublisher, _tfPublisher, _diagnosticsPublisher, _debugQueryPublisher, _debugRenderedPublisher, _mapCloudPublisher;
    private int _mapCloudPublished;

    /// <summary>Creates the node; nothing is subscribed until <see cref="RunAsync"/>.</summary>
    /// <param name="parameters">Validated parameters.</param>
    /// <param name="names">Node name, namespace and remaps.</param>
    /// <param name="transport">Where messages come from and go to.</param>
    /// <param name="map">The map's Gaussians (published as a point cloud with publish.map_cloud).</param>
    /// <param name="localizer">The localizer for the map.</param>
    /// <param name="renderer">The map's renderer (for debug images).</param>
    /// <param name="logger">Log sink.</param>
    /// <param name="lockstep">Process every image (bag replay at full speed) instead of only the latest.</param>
    public LocalizationNode(LocalizationParameters parameters, NodeNames names, ITransport transport, GaussianMap map, Localizer localizer, ILabelRenderer renderer,
        ILogger logger, bool lockstep)
    {
        (_parameters, _names, _transport, _map, _localizer, _renderer, _logger) = (parameters, names, transport, map, localizer, renderer, logger);
        // A second ahead of the image in progress keeps the transport busy without pushing out what that image
        // waits for (odometry.tolerance after it) or the history it is looked up in (10 s of TF, 30 depth images).
        _slot = new FrameSlot(lockstep, TimeSpan.FromSeconds(Math.Max(1, 2 * parameters.Odometry.Tolerance)));
    }

    /// <summary>Counters and latencies.</summary>
    public NodeStatistics Statistics { get; } = new();

    /// <summary>How long (wall time) the node waits for its first image before it warns, and again between warnings, thrice as long.</summary>
    internal TimeSpan NoImageWarningAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Images dropped because a newer one arrived before they were processed.</summary>
    public long FramesDropped => _slot.Dropped;

    /// <summary>Now on the node's clock (ns): /clock with use_sim_time, else the transport's clock.</summary>
    public long Now => _parameters.UseSimTime ? Interlocked.Read(ref _simTime) : _transport.Now;

    private string Topic(string name) => _names.Resolve(name);

    /// <summary>
    /// Runs until the input ends (a replayed bag) or <paramref name="cancellation"/> fires: delivery on the
    /// transport's thread, localization on a dedicated thread, diagnostics every publish.diagnostics_period.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        _cancellation = cancellation;
        Start();
        _logger.LogInformation("localizing on {Transport}; image {Image}, camera_info {Info}, odometry {Odometry}, pose out {Pose}",
            _transport.Description, Topic(_parameters.Topics.Image), Topic(_parameters.Topics.CameraInfo), OdometryDescription(), Topic(_parameters.Topics.Pose));
        var input = Task.Run(async () =>
        {
            try
            {
                await _transport.RunAsync(cancellation);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // A damaged or truncated input ends delivery, never the node: what arrived is still processed.
                Statistics.InputError = e.Message;
                Statistics.Problem($"input failed: {e.Message}", Now);
                _logger.LogError("input failed, no more messages will arrive: {Error}", e.Message);
            }
            finally
            {
                Statistics.InputWarnings = _transport.Warnings;
                foreach (var warning in _transport.Warnings)
                    _logger.LogWarning("input: {Warning}", warning);
                if (Interlocked.Read(ref Statistics.FramesReceived) == 0)
                {
                    // Nearly always a topic named differently on the recording robot.
                    string image = Topic(_parameters.Topics.Image);
                    _logger.LogWarning("input ended without an image on {Topic} (topics.image); set topics.image or remap with -r {Topic}:=TOPIC (`mosaic bag info BAG` lists a bag's topics)", image, image);
                }
                _inputEnded = true;
                _odometryArrived.Set();
                _cameraInfoArrived.Set();
                _depthCameraInfoArrived.Set();
                _slot.Complete();
            }
        }, CancellationToken.None);
        var processing = Task.Factory.StartNew(() => ProcessingLoop(cancellation), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var period = TimeSpan.FromSeconds(_parameters.Publish.DiagnosticsPeriod);
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        var nextWarning = NoImageWarningAfter;
        while (!processing.IsCompleted)
        {
            await Task.WhenAny(processing, Task.Delay(period, CancellationToken.None));
            Tick(Now);
            if (Interlocked.Read(ref Statistics.FramesReceived) == 0 && !_inputEnded && waiting.Elapsed >= nextWarning)
            {
                // A silent camera topic is the commonest start-up fault on a robot: a name or a namespace that differs.
                string image = Topic(_parameters.Topics.Image);
                _logger.LogWarning("no image on {Topic} (topics.image) after {Seconds:F0} s; check that the camera publishes it (`ros2 topic info {Topic}`) or remap with -r {Topic}:=TOPIC",
                    image, waiting.Elapsed.TotalSeconds, image, image);
                nextWarning += 3 * NoImageWarningAfter;
            }
        }
        await processing;
        await input;
        PublishDiagnostics(Now);
    }

    private void Start()
    {
        var topics = _parameters.Topics;
        string imageType = Topic(topics.Image).EndsWith("/compressed", StringComparison.Ordinal) ? CompressedImage.Definition.Name : Image.Definition.Name;
        _transport.Subscribe(Topic(topics.Image), imageType, QosProfile.SensorData, m => Guard(m, OnImage));
        _transport.Subscribe(Topic(topics.CameraInfo), CameraInfo.Definition.Name, QosProfile.SensorData, m => Guard(m, OnCameraInfo));
        _transport.Subscribe(Topic(topics.TfStatic), TFMessage.Definition.Name, QosProfile.TfStatic, m => Guard(m, OnTfStatic));
        _transport.Subscribe(Topic(topics.InitialPose), PoseWithCovarianceStamped.Definition.Name, QosProfile.Default, m => Guard(m, OnInitialPose));
        if (_parameters.Odometry.Source == "topic")
            _transport.Subscribe(Topic(topics.Odometry), Odometry.Definition.Name, QosProfile.SensorData, m => Guard(m, OnOdometry));
        if (_parameters.Odometry.Source == "tf")
            _transport.Subscribe(Topic(topics.Tf), TFMessage.Definition.Name, QosProfile.Tf, m => Guard(m, OnTf));
        if (HasDepth)
        {
            string depthType = Topic(topics.Depth).EndsWith("/compressedDepth", StringComparison.Ordinal) ? CompressedImage.Definition.Name : Image.Definition.Name;
            _transport.Subscribe(Topic(topics.Depth), depthType, QosProfile.SensorData, m => Guard(m, OnDepth));
            _transport.Subscribe(Topic(topics.DepthCameraInfo), CameraInfo.Definition.Name, QosProfile.SensorData, m => Guard(m, OnDepthCameraInfo));
        }
        if (_parameters.UseSimTime)
            _transport.Subscribe("/clock", Clock.Definition.Name, new QosProfile(Reliability.BestEffort, Durability.Volatile, 1), m => Guard(m, OnClock));

        _posePublisher = Advertise<PoseWithCovarianceStamped>(topics.Pose, QosProfile.Latched);
        _diagnosticsPublisher = Advertise<DiagnosticArray>(topics.Diagnostics, QosProfile.Default);
        if (_parameters.Publish.Tf)
            _tfPublisher = Advertise<TFMessage>(topics.Tf, QosProfile.Tf);
        if (_parameters.Publish.DebugImages)
        {
            _debugQueryPublisher = Advertise<Image>(topics.DebugQueryLabels, QosProfile.SensorData);
            _debugRenderedPublisher = Advertise<Image>(topics.DebugRenderedLabels, QosProfile.SensorData);
        }
        if (_parameters.Publish.MapCloud)
            _mapCloudPublisher = Advertise<PointCloud2>(topics.MapCloud, QosProfile.Latched);
        PublishMapCloudOnce();
    }

    /// <summary>
    /// Publishes the map's point cloud the first time the node's clock runs: at start on a live
    /// transport, with the first message of a replayed bag or the first /clock under use_sim_time,
    /// so that it is stamped (and recorded) in the drive's time. Latched, so later subscribers get it too.
    /// </summary>
    private void PublishMapCloudOnce()
    {
        // Runs after every message: once published, a plain read ends it.
        if (_mapCloudPublisher is null || Volatile.Read(ref _mapCloudPublished) == 1)
            return;
        long now = Now;
        if (now <= 0 || Interlocked.Exchange(ref _mapCloudPublished, 1) == 1)
            return;
        var cloud = RosConversions.MapCloud(_map, new Header(Ros.Messages.RosTime.FromNanoseconds(now), _parameters.Frames.Map));
        try
        {
            var bytes = RosSerializer.Serialize(cloud);
            _mapCloudPublisher.Publish(bytes);
            _logger.LogInformation("map cloud on {Topic}: {Points:N0} points, {Megabytes:F1} MB, latched", _mapCloudPublisher.Topic, cloud.Width, bytes.Length / 1e6);
        }
        catch (Exception e)
        {
            Statistics.Problem($"publishing the map cloud failed: {e.Message}", now);
            _logger.LogWarning("publishing the map cloud failed: {Error}", e.Message);
        }
    }

    private IPublisher Advertise<T>(string topic, QosProfile qos) where T : IRosMessage<T> =>
        _transport.Advertise(Topic(topic), T.Definition.Name, T.Definition.FullText(), qos);

    private string OdometryDescription() => _parameters.Odometry.Source switch
    {
        "topic" => Topic(_parameters.Topics.Odometry),
        "tf" => $"{_parameters.Frames.Odom} -> {_parameters.Frames.Base} on {Topic(_parameters.Topics.Tf)}",
        _ => "none",
    };

    // Every handler goes through here: a message that cannot be used is counted and reported, never fatal.
    private void Guard(TransportMessage message, Action<TransportMessage> handler)
    {
        _slot.WaitToDeliver(message.ReceivedAt, _cancellation);
        try
        {
            handler(message);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            Bad(message.Topic, e.Message);
        }
        Tick(Now);
    }

    private void Bad(string topic, string reason)
    {
        long count = Statistics.BadMessage(topic);
        Statistics.Problem($"bad message on {topic}: {reason}", Now);
        // Log the 1st, 10th, 100th, ... so a flood of bad messages cannot flood the log.
        if (IsPowerOfTen(count))
            _logger.LogWarning("bad message on {Topic} (#{Count}): {Reason}", topic, count, reason);
    }

    private static bool IsPowerOfTen(long n)
    {
        while (n >= 10 && n % 10 == 0)
            n /= 10;
        return n == 1;
    }

    private void OnImage(TransportMessage message)
    {
        if (!ImageTypes.Contains(message.Type))
            throw new FormatException($"type {message.Type} is not an image type (sensor_msgs/msg/Image or CompressedImage)");
        if (TryReadStamp(message) is { } stamp && !Admit("images", stamp, () => OnImage(message)))
            return;
        long sequence = Interlocked.Increment(ref Statistics.FramesReceived);
        int epoch;
        lock (_tfLock)
            epoch = _epoch;
        _slot.Put(new PendingFrame(message, _camera, Stopwatch.GetTimestamp(), sequence, epoch), _cancellation);
    }

    /// <summary>The header stamp of an Image or CompressedImage (both start with a std_msgs/Header), or null when it cannot be read: decoding the image reports that.</summary>
    private static long? TryReadStamp(TransportMessage message)
    {
        try
        {
            var reader = new Ros.Cdr.CdrReader(message.Data.Span);
            return Header.Read(ref reader).Stamp.Nanoseconds;
        }
        catch (Exception e) when (e is Ros.Cdr.CdrException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Takes the stamp of a message on one of the stamped inputs (<see cref="TimeJumps"/>); returns whether its
    /// handler goes on with it now. The first stale stamp is held (<paramref name="replay"/> kept) until the next
    /// stamped message tells: a stamp in order shows it was a stray, dropped and counted; a second stale one shows
    /// that time went back (a bag replayed in a loop, a simulator reset). Then the odometry and depth history is
    /// cleared, as tf2 clears its buffer, since the later history would hide every sample that follows; the pose is
    /// forgotten before the next image (<see cref="Process"/>), as the camera is somewhere else now and odometry
    /// cannot say where; and the held message is handled before this one.
    /// </summary>
    private bool Admit(string stream, long stamp, Action replay)
    {
        StampObservation observation;
        Action? held;
        lock (_tfLock)
        {
            observation = _timeJumps.Observe(stream, stamp);
            held = _held;
            _held = observation.Verdict == StampVerdict.Stale ? replay : null;
            if (observation.Verdict == StampVerdict.Jump)
            {
                _tf.ClearDynamic();
                _latestOdometryStamp = long.MinValue;
                _epoch++;
            }
        }
        if (observation.StrayDropped)
        {
            long strays = Interlocked.Increment(ref Statistics.StaleStampsDropped);
            string stray = $"a message more than {TimeJumps.Threshold.TotalSeconds:0} s older than its stream's newest was dropped; the next stamp was in order, so time had not gone back";
            Statistics.Problem(stray, Now);
            if (IsPowerOfTen(strays))
                _logger.LogWarning("{Text} (#{Count})", stray, strays);
        }
        if (observation.Verdict == StampVerdict.Stale)
            return false;
        if (observation.Verdict == StampVerdict.Jump)
        {
            lock (_depthLock)
                _depthImages.Clear();
            long count = Interlocked.Increment(ref Statistics.TimeJumpsBack);
            string text = $"time went back {observation.Back * 1e-9:F1} s on the {stream} (a bag replayed in a loop, or a simulator reset): odometry and depth history cleared, pose forgotten";
            Statistics.Problem(text, Now);
            if (IsPowerOfTen(count))
                _logger.LogWarning("{Text} (#{Count}); relocalising", text, count);
            held?.Invoke();
        }
        return true;
    }

    private bool HasDepth => !string.IsNullOrWhiteSpace(_parameters.Topics.Depth);

    /// <summary>Depth images kept for pairing: a second of a 30 Hz camera.</summary>
    private const int DepthImagesKept = 30;

    private void OnDepth(TransportMessage message)
    {
        if (!ImageTypes.Contains(message.Type))
            throw new FormatException($"type {message.Type} is not an image type (sensor_msgs/msg/Image or CompressedImage)");
        // Image and CompressedImage both start with a std_msgs/Header; the payload is decoded only if paired.
        var reader = new Ros.Cdr.CdrReader(message.Data.Span);
        long stamp = Header.Read(ref reader).Stamp.Nanoseconds;
        if (!Admit("depth images", stamp, () => OnDepth(message)))
            return;
        lock (_depthLock)
        {
            _depthImages.Enqueue((stamp, message));
            while (_depthImages.Count > DepthImagesKept)
                _depthImages.Dequeue();
        }
        _depthArrived.Set();
    }

    private void OnDepthCameraInfo(TransportMessage message)
    {
        var camera = CameraModelOf(message);
        Interlocked.CompareExchange(ref _firstDepthCamera, new FirstCamera(camera, Interlocked.Read(ref Statistics.FramesReceived)), null);
        _depthCamera = camera;
        _depthCameraInfoArrived.Set();
    }

    private void OnCameraInfo(TransportMessage message)
    {
        var camera = CameraModelOf(message);
        Interlocked.CompareExchange(ref _firstCamera, new FirstCamera(camera, Interlocked.Read(ref Statistics.FramesReceived)), null);
        _camera = camera;
        _cameraInfoArrived.Set();
    }

    /// <summary>A camera_info topic's first camera model, and how many (colour) images had arrived before it.</summary>
    private sealed record FirstCamera(CameraModel Camera, long ImagesBefore);

    private FirstCamera? _firstCamera, _firstDepthCamera;

    /// <summary>The camera model of a camera_info message; an unusable one is a bad message.</summary>
    private static CameraModel CameraModelOf(TransportMessage message)
    {
        var info = RosSerializer.Deserialize<CameraInfo>(message.Data.Span);
        try
        {
            return DriveMessages.CameraModelOf(info, message.Topic);
        }
        catch (MappingInputException e)
        {
            throw new FormatException(e.Message);
        }
    }

    private void OnTfStatic(TransportMessage message)
    {
        var tf = RosSerializer.Deserialize<TFMessage>(message.Data.Span);
        lock (_tfLock)
            _tf.Add(tf, isStatic: true);
    }

    private void OnTf(TransportMessage message)
    {
        foreach (var transform in RosSerializer.Deserialize<TFMessage>(message.Data.Span).Transforms)
        {
            // Our own map -> odom comes back on a live /tf; it must not enter the odometry tree.
            if (transform.Header.FrameId.TrimStart('/') != _parameters.Frames.Map)
                AddOdometry(transform);
        }
    }

    private void OnOdometry(TransportMessage message)
    {
        var odometry = RosSerializer.Deserialize<Odometry>(message.Data.Span);
        string frame = odometry.Header.FrameId.TrimStart('/');
        if (frame != _parameters.Frames.Odom)
            throw new FormatException($"odometry is in frame '{frame}' but frames.odom is '{_parameters.Frames.Odom}'");
        string child = string.IsNullOrEmpty(odometry.ChildFrameId) ? _parameters.Frames.Base : odometry.ChildFrameId;
        var pose = RosConversions.FromPose(odometry.Pose.Pose);
        AddOdometry(new TransformStamped(odometry.Header, child, RosConversions.ToTransform(pose)));
    }

    // A dynamic transform; those out of frames.odom are odometry and may end a wait in WaitForOdometry.
    private void AddOdometry(TransformStamped transform)
    {
        bool odometry = transform.Header.FrameId.TrimStart('/') == _parameters.Frames.Odom;
        if (odometry && !Admit("odometry", transform.Header.Stamp.Nanoseconds, () => AddOdometry(transform)))
            return;
        lock (_tfLock)
        {
            _tf.Add(transform, isStatic: false);
            if (odometry)
                _latestOdometryStamp = Math.Max(_latestOdometryStamp, transform.Header.Stamp.Nanoseconds);
        }
        _odometryArrived.Set();
    }

    private void OnInitialPose(TransportMessage message)
    {
        var initial = RosSerializer.Deserialize<PoseWithCovarianceStamped>(message.Data.Span);
        string frame = initial.Header.FrameId.TrimStart('/');
        if (frame != _parameters.Frames.Map)
        {
            Interlocked.Increment(ref Statistics.InitialPosesRefused);
            Statistics.Problem($"initial pose refused: it is in frame '{frame}', not the map frame '{_parameters.Frames.Map}'", Now);
            _logger.LogWarning("initial pose refused: it is in frame '{Frame}', not the map frame '{Map}'", frame, _parameters.Frames.Map);
            return;
        }
        Se3 mapFromBase;
        try
        {
            mapFromBase = RosConversions.FromPose(initial.Pose.Pose);
        }
        catch (ArgumentException e)
        {
            Interlocked.Increment(ref Statistics.InitialPosesRefused);
            throw new FormatException($"initial pose refused: {e.Message}");
        }
        long stamp = initial.Header.Stamp.Nanoseconds;
        // RViz sends stamp 0 ("now"); take it as the time it arrived.
        Interlocked.Exchange(ref _pendingInitialPose, new InitialPose(mapFromBase, stamp == 0 ? message.ReceivedAt : stamp));
        _logger.LogInformation("initial pose received: ({X:F2}, {Y:F2}, {Z:F2}) in {Map}", mapFromBase.Translation.X, mapFromBase.Translation.Y, mapFromBase.Translation.Z, frame);
    }

    private void OnClock(TransportMessage message)
    {
        long time = RosSerializer.Deserialize<Clock>(message.Data.Span).Time.Nanoseconds;
        if (!Admit("/clock", time, () => OnClock(message)))
            return;
        Interlocked.Exchange(ref _simTime, time);
    }

    private void ProcessingLoop(CancellationToken cancellation)
    {
        while (_slot.TryTake(out var frame, cancellation))
        {
            try
            {
                Process(frame);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The localizer itself failing on one frame must not stop the node either.
                Interlocked.Increment(ref Statistics.FramesSkipped);
                Statistics.Problem($"frame failed: {e.Message}", Now);
                _logger.LogError(e, "localizing a frame failed");
            }
            finally
            {
                _slot.Done();
            }
            Tick(Now);
        }
    }

    private void Process(PendingFrame pending)
    {
        var message = pending.Message;
        RgbImage image;
        Header header;
        try
        {
            (header, image) = DecodeImage(message);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or ArgumentException or Ros.Cdr.CdrException)
        {
            Interlocked.Increment(ref Statistics.FramesSkipped);
            Bad(message.Topic, e.Message);
            return;
        }
        long stamp = header.Stamp.Nanoseconds;
        string cameraFrame = header.FrameId;
        if ((pending.Camera ?? CameraFor(pending, () => Volatile.Read(ref _firstCamera), _cameraInfoArrived, latest: null)) is not { } camera)
        {
            Skip($"no camera_info on {Topic(_parameters.Topics.CameraInfo)} yet");
            return;
        }
        if (camera.Intrinsics.Width != image.Width || camera.Intrinsics.Height != image.Height)
        {
            Skip($"image is {image.Width}x{image.Height} but camera_info says {camera.Intrinsics.Width}x{camera.Intrinsics.Height}");
            return;
        }
        WaitForOdometry(stamp, pending.Message.ReceivedAt);
        Se3 baseFromCamera;
        Se3? odomFromCamera = null;
        lock (_tfLock)
        {
            // Checked with the lookups, under the lock that clears the history when time goes back, so an image
            // from before a jump is never localized with what came after it.
            if (pending.Epoch != _epoch)
            {
                Skip("the image came before time went back");
                return;
            }
            try
            {
                baseFromCamera = BagFrameSource.ToSe3(_tf.Lookup(_parameters.Frames.Base, cameraFrame, stamp, TimeSpan.FromSeconds(_parameters.Odometry.Tolerance)));
            }
            catch (TfException e)
            {
                Skip($"no transform from the camera frame '{cameraFrame}' to '{_parameters.Frames.Base}': {e.Message}");
                return;
            }
            if (_parameters.Odometry.Source != "none")
            {
                try
                {
                    odomFromCamera = BagFrameSource.ToSe3(_tf.Lookup(_parameters.Frames.Odom, cameraFrame, stamp, TimeSpan.FromSeconds(_parameters.Odometry.Tolerance)));
                }
                catch (TfException e)
                {
                    long without = Interlocked.Increment(ref Statistics.FramesWithoutOdometry);
                    Statistics.Problem($"no odometry at the image stamp: {e.Message}", Now);
                    if (IsPowerOfTen(without))
                        _logger.LogWarning("frame localized without odometry (#{Count}): {Reason}", without, e.Message);
                }
            }
        }
        if (_localizerEpoch != pending.Epoch)
        {
            _localizer.Reset();
            _mapFromOdom = null;
            _localizerEpoch = pending.Epoch;
        }
        ApplyInitialPose(baseFromCamera, odomFromCamera, stamp);
        var depth = HasDepth ? DepthFor(stamp, cameraFrame, pending) : null;

        var result = _localizer.Process(new LocalizerFrame(stamp, image, camera, odomFromCamera, depth));
        Interlocked.Increment(ref Statistics.FramesProcessed);
        if (result.Refined is not null)
            Interlocked.Increment(ref result.Accepted ? ref Statistics.PosesAccepted : ref Statistics.PosesRejected);
        else if (result.Rejection == Rejection.NotMoved)
            Interlocked.Increment(ref Statistics.FramesNotMoved);
        if (result.DepthRefined)
            Interlocked.Increment(ref Statistics.PosesDepthRefined);
        if (result.Sharpened is not null)
            Interlocked.Increment(ref Statistics.PosesSharpened);
        if (result.RefinedAgain)
            Interlocked.Increment(ref Statistics.FramesRefinedAgain);
        Publish(result, header, baseFromCamera, odomFromCamera, camera);
        Statistics.Latency(Stopwatch.GetElapsedTime(pending.ReceivedTicks).TotalMilliseconds);
        LogStateChange(result);
        LogDriftChange(result);
        _lastResult = result;
    }

    private (Header Header, RgbImage Image) DecodeImage(TransportMessage message)
    {
        ColorImage decoded;
        Header header;
        if (message.Type == CompressedImage.Definition.Name)
        {
            var compressed = RosSerializer.Deserialize<CompressedImage>(message.Data.Span);
            (header, decoded) = (compressed.Header, ImageCodecs.DecodeColor(compressed));
        }
        else
        {
            var raw = RosSerializer.Deserialize<Image>(message.Data.Span);
            (header, decoded) = (raw.Header, ImageCodecs.DecodeColor(raw));
        }
        return (header, new RgbImage(decoded.Width, decoded.Height, decoded.Rgb));
    }

    private void Skip(string reason)
    {
        Interlocked.Increment(ref Statistics.FramesSkipped);
        Statistics.Problem(reason, Now);
        if (IsPowerOfTen(Statistics.FramesSkipped))
            _logger.LogWarning("frame skipped (#{Count}): {Reason}", Statistics.FramesSkipped, reason);
    }

    /// <summary>
    /// The depth image paired with the colour image of <paramref name="stamp"/>: the nearest within
    /// depth.tolerance, waited for as long as odometry is (odometry.tolerance after the image arrived).
    /// Null, counted and reported when there is none or it cannot be used: the frame goes on from colour alone.
    /// </summary>
    private DepthReadings? DepthFor(long stamp, string cameraFrame, PendingFrame pending)
    {
        long tolerance = (long)(_parameters.Depth.Tolerance * 1e9);
        TransportMessage? paired = null;
        WaitUntil(_depthArrived, pending.Message.ReceivedAt, () =>
        {
            lock (_depthLock)
            {
                paired = _depthImages.Where(d => Math.Abs(d.Stamp - stamp) <= tolerance).OrderBy(d => Math.Abs(d.Stamp - stamp)).Select(d => (TransportMessage?)d.Message).FirstOrDefault();
                // Depth images arrive in stamp order: once one at or after the image's stamp is here, no closer one is coming.
                return _depthImages.Count > 0 && _depthImages.Max(d => d.Stamp) >= stamp;
            }
        });
        string? problem = null;
        DepthReadings? readings = null;
        if (paired is not { } nearest)
            problem = $"no depth image on {Topic(_parameters.Topics.Depth)} within {_parameters.Depth.Tolerance} s of the image";
        else if (CameraFor(pending, () => Volatile.Read(ref _firstDepthCamera), _depthCameraInfoArrived, _depthCamera) is not { } depthCamera)
            problem = $"no camera_info on {Topic(_parameters.Topics.DepthCameraInfo)} yet";
        else
        {
            string depthFrame = "";
            try
            {
                var (header, metres) = DecodeDepth(nearest);
                if (metres.Width != depthCamera.Intrinsics.Width || metres.Height != depthCamera.Intrinsics.Height)
                    throw new FormatException($"depth image is {metres.Width}x{metres.Height} but its camera_info says {depthCamera.Intrinsics.Width}x{depthCamera.Intrinsics.Height}");
                depthFrame = header.FrameId;
                Se3 colorFromDepth;
                lock (_tfLock)
                    colorFromDepth = BagFrameSource.ToSe3(_tf.Lookup(cameraFrame, depthFrame, stamp));
                readings = new DepthReadings(metres, depthCamera, colorFromDepth);
            }
            catch (TfException e)
            {
                problem = $"no transform from the depth frame '{depthFrame}' to '{cameraFrame}': {e.Message}";
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or ArgumentException or Ros.Cdr.CdrException)
            {
                Bad(nearest.Topic, e.Message);
                problem = $"depth image unusable: {e.Message}";
            }
        }
        if (problem is not null)
        {
            Interlocked.Increment(ref Statistics.FramesWithoutDepth);
            Statistics.Problem($"{problem}; localized from colour alone", Now);
        }
        return readings;
    }

    private static (Header Header, Image<float> Metres) DecodeDepth(TransportMessage message)
    {
        if (message.Type == CompressedImage.Definition.Name)
        {
            var compressed = RosSerializer.Deserialize<CompressedImage>(message.Data.Span);
            var decoded = ImageCodecs.DecodeDepth(compressed);
            return (compressed.Header, new Image<float>(decoded.Width, decoded.Height, decoded.Metres));
        }
        var raw = RosSerializer.Deserialize<Image>(message.Data.Span);
        var image = ImageCodecs.DecodeDepth(raw);
        return (raw.Header, new Image<float>(image.Width, image.Height, image.Metres));
    }

    /// <summary>
    /// The camera model for <paramref name="pending"/> from a camera_info topic whose first message
    /// <paramref name="first"/> reads (set on <paramref name="arrived"/>): <paramref name="latest"/>, or the first
    /// one's model, if that first camera_info arrived before the next colour image; null otherwise. Drivers
    /// publish each camera_info just after its image, so without waiting (<see cref="WaitUntil"/>) the first
    /// image would never be localized, or its depth never used.
    /// </summary>
    private CameraModel? CameraFor(PendingFrame pending, Func<FirstCamera?> first, ManualResetEventSlim arrived, CameraModel? latest)
    {
        FirstCamera? camera = null;
        WaitUntil(arrived, pending.Message.ReceivedAt, () => (camera = first()) is not null);
        return camera is { } known && known.ImagesBefore <= pending.Sequence ? latest ?? known.Camera : null;
    }

    /// <summary>Odometry at an image's stamp usually arrives just after the image; waiting for it makes the prior interpolated, not extrapolated.</summary>
    private void WaitForOdometry(long stamp, long receivedAt)
    {
        if (_parameters.Odometry.Source == "none")
            return;
        WaitUntil(_odometryArrived, receivedAt, () =>
        {
            lock (_tfLock)
                return _latestOdometryStamp >= stamp;
        });
    }

    /// <summary>
    /// Waits, woken by <paramref name="arrived"/>, until <paramref name="ready"/> holds for what an image
    /// received at <paramref name="receivedAt"/> needs (its odometry, depth or camera_info, which usually
    /// arrive just after it), or until waiting longer cannot help: the input ended, the node stops, a newer
    /// image is waiting (the transport delivered everything before it), or the transport's clock is
    /// odometry.tolerance past the image's arrival (not its stamp: a camera's clock may be offset from the
    /// host's, and a drive replayed live carries old stamps). The reasons to stop
    /// are read before <paramref name="ready"/> is asked, so whatever arrived before the newer image or the
    /// end is seen: the order of arrival decides, not when this thread looks, and a replay in lockstep gives
    /// the same result every time.
    /// </summary>
    private void WaitUntil(ManualResetEventSlim arrived, long receivedAt, Func<bool> ready)
    {
        long patience = (long)(_parameters.Odometry.Tolerance * 1e9);
        while (true)
        {
            arrived.Reset();
            bool stop = _inputEnded || _cancellation.IsCancellationRequested || _slot.HasWaiting || _transport.Now > receivedAt + patience;
            if (ready() || stop)
                return;
            arrived.Wait(TimeSpan.FromMilliseconds(5));
        }
    }

    private void ApplyInitialPose(Se3 baseFromCamera, Se3? odomFromCamera, long stamp)
    {
        if (Interlocked.Exchange(ref _pendingInitialPose, null) is not { } initial)
            return;
        var (mapFromBase, poseStamp) = initial;
        var mapFromCamera = mapFromBase * baseFromCamera;
        // Carry the pose from its stamp to the image's with odometry, when odometry covers both.
        if (odomFromCamera is { } odomNow)
        {
            lock (_tfLock)
            {
                try
                {
                    var odomFromBaseThen = BagFrameSource.ToSe3(_tf.Lookup(_parameters.Frames.Odom, _parameters.Frames.Base, poseStamp, TimeSpan.FromSeconds(_parameters.Odometry.Tolerance)));
                    mapFromCamera = mapFromBase * odomFromBaseThen.Inverse() * odomNow;
                }
                catch (TfException)
                {
                    // No odometry at the pose's stamp: use it as given.
                }
            }
        }
        _localizer.SetInitialPose(mapFromCamera);
        Interlocked.Increment(ref Statistics.InitialPosesApplied);
    }

    private void Publish(LocalizationResult result, Header header, Se3 baseFromCamera, Se3? odomFromCamera, CameraModel camera)
    {
        long stamp = header.Stamp.Nanoseconds;
        if (result.Accepted && result.MapFromCamera is { } mapFromCamera)
        {
            var mapFromBase = mapFromCamera * baseFromCamera.Inverse();
            var covariance = result.Covariance is { } c ? RosConversions.ToRosCovariance(c, mapFromCamera, mapFromBase) : new double[36];
            var pose = new PoseWithCovarianceStamped(new Header(header.Stamp, _parameters.Frames.Map),
                new PoseWithCovariance(RosConversions.ToPose(mapFromBase), covariance));
            _posePublisher!.Publish(RosSerializer.Serialize(pose));
            // Without odometry the odom frame stands for the body itself (set frames.odom accordingly).
            var odomFromBase = odomFromCamera is { } odom ? odom * baseFromCamera.Inverse() : Se3.Identity;
            _mapFromOdom = mapFromBase * odomFromBase.Inverse();
            if (_debugQueryPublisher is not null)
                PublishDebugImages(result, mapFromCamera, camera, header);
        }
        // Re-sent after every frame (as AMCL does) so the transform stays current while fixes are rejected.
        if (_tfPublisher is not null && _mapFromOdom is { } mapFromOdom)
        {
            var tfStamp = Ros.Messages.RosTime.FromNanoseconds(stamp + (long)(_parameters.Publish.TransformTolerance * 1e9));
            var transform = new TransformStamped(new Header(tfStamp, _parameters.Frames.Map), _parameters.Frames.Odom, RosConversions.ToTransform(mapFromOdom));
            _tfPublisher.Publish(RosSerializer.Serialize(new TFMessage([transform])));
        }
    }

    private void PublishDebugImages(LocalizationResult result, Se3 mapFromCamera, CameraModel camera, Header header)
    {
        var query = result.QueryLabels!; // an accepted frame was segmented
        var pinhole = camera.Intrinsics.AtLevel(_localizer.Segmenter.Level);
        var rendered = _renderer.RenderHardLabels(mapFromCamera.Inverse(), pinhole);
        foreach (var (labels, publisher) in new[] { (query, _debugQueryPublisher!), (rendered, _debugRenderedPublisher!) })
        {
            var rgb = LabelPalette.Colorize(labels);
            var image = new Image(header, (uint)labels.Height, (uint)labels.Width, "rgb8", false, (uint)labels.Width * 3, rgb);
            publisher.Publish(RosSerializer.Serialize(image));
        }
    }

    private void LogStateChange(LocalizationResult result)
    {
        if (result.State == _lastState)
            return;
        if (result.State is LocalizerState.Lost or LocalizerState.Relocalising)
            _logger.LogWarning("state {From} -> {To} ({Reason})", _lastState, result.State, result.Rejection);
        else
            _logger.LogInformation("state {From} -> {To}", _lastState, result.State);
        _lastState = result.State;
    }

    /// <summary>
    /// Logs each change of the odometry drift tracking's fusion assumes (it learns it from the fixes,
    /// localizer.odometry_drift up to odometry_drift_max), and warns once when it first goes above
    /// odometry_drift: the odometry is worse than the parameters say, and other fusion settings may suit it.
    /// </summary>
    private void LogDriftChange(LocalizationResult result)
    {
        double drift = result.OdometryDrift, configured = _parameters.Localizer.OdometryDrift;
        double previous = double.IsNaN(_loggedDrift) ? configured : _loggedDrift;
        if (double.IsNaN(drift) || drift == previous)
            return;
        _loggedDrift = drift;
        if (drift > configured && !_warnedDrift)
        {
            _warnedDrift = true;
            _logger.LogWarning("tracking now assumes the odometry drifts {Drift:P0} per metre and per radian, more than localizer.odometry_drift {Configured:P0}: " +
                "the odometry is worse than configured (README \"Odometry quality\" names the settings that suit such odometry)", drift, configured);
        }
        else
        {
            _logger.LogInformation("tracking now assumes the odometry drifts {Drift:P0} per metre and per radian (was {Previous:P0})", drift, previous);
        }
    }

    private void Tick(long now)
    {
        PublishMapCloudOnce();
        long period = (long)(_parameters.Publish.DiagnosticsPeriod * 1e9);
        lock (_diagnosticsLock)
        {
            // A clock that went back (use_sim_time over a looped bag) restarts the period instead of silencing diagnostics until it catches up.
            if (_lastDiagnostics != long.MinValue && now >= _lastDiagnostics && now - _lastDiagnostics < period)
                return;
            _lastDiagnostics = now;
        }
        PublishDiagnostics(now);
    }

    private void PublishDiagnostics(long now)
    {
        var status = NodeDiagnostics.Status(_names.FullName, Statistics, _lastResult, _localizer.State, FramesDropped, _camera is not null, now);
        var array = new DiagnosticArray(new Header(Ros.Messages.RosTime.FromNanoseconds(Math.Max(0, now)), ""), [status]);
        try
        {
            lock (_diagnosticsLock)
                _diagnosticsPublisher?.Publish(RosSerializer.Serialize(array));
        }
        catch (Exception e)
        {
            // Runs on the transport's thread too, which must go on delivering whatever the network does.
            Statistics.Problem($"publishing diagnostics failed: {e.Message}", now);
        }
    }

    /// <summary>A one-line summary of the run for logs.</summary>
    public string Summary()
    {
        var latency = Statistics.LatencyPercentiles();
        string notMoved = Statistics.FramesNotMoved > 0 ? $", {Statistics.FramesNotMoved} not refined, hardly moved" : "";
        return $"{Statistics.FramesReceived} images received, {Statistics.FramesProcessed} localized ({Statistics.PosesAccepted} accepted, {Statistics.PosesRejected} rejected{notMoved}), " +
            $"{FramesDropped} dropped, {Statistics.FramesSkipped} skipped, {Statistics.BadMessages.Values.Sum()} bad messages" +
            (latency is { } l ? $"; latency p50 {l.P50:F0} ms, p95 {l.P95:F0} ms" : "");
    }

    private sealed record InitialPose(Se3 MapFromBase, long Stamp);
}
