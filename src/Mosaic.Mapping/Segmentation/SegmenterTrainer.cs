using System.Diagnostics;
using Mosaic.Localization.Depth;
using Mosaic.Localization.Segmentation;

namespace Mosaic.Mapping.Segmentation;

/// <summary>Settings of <see cref="SegmenterTrainer"/> (config/mapping.yaml, <c>segmenter.*</c>).</summary>
public sealed record LearnedSegmenterOptions
{
    /// <summary>Number of labels K.</summary>
    public int LabelCount { get; init; } = 32;

    /// <summary>Pyramid level of features and labels (1 = half resolution).</summary>
    public int Level { get; init; } = 1;

    /// <summary>Seed of initialisation and minibatch sampling: the same seed and drive give the same segmenter (unless the time budget cuts training).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Hidden units of the head.</summary>
    public int HiddenCount { get; init; } = 32;

    /// <summary>
    /// Distances (px at <see cref="Level"/>) at which the head also reads the features of the pixels to
    /// the right, left, below and above (<see cref="LearnedSegmenter.ContextTaps"/>); empty: the pixel
    /// alone. Taps raise label agreement (64 % at K = 32 with one at 8 px, 71 % with 8 and 24 px, against
    /// 55 %) but misplace poses where the camera sees a place from farther or nearer than the mapping
    /// drive did, so none is the default (README, "The learned segmenter").
    /// </summary>
    public int[] ContextTaps { get; init; } = [];

    /// <summary>Radius (px) of the box filter over label probabilities at query time (<see cref="LearnedSegmenter.OutputSmoothing"/>).</summary>
    public int OutputSmoothing { get; init; } = 3;

    /// <summary>Every n-th pixel in x and y (at <see cref="Level"/>) with depth becomes a training sample.</summary>
    public int PixelStride { get; init; } = 3;

    /// <summary>Edge (m) of the voxels whose pixels count as seeing the same surface.</summary>
    public double CorrespondenceVoxel { get; init; } = 0.06;

    /// <summary>Self-labelling rounds: each re-derives the targets from the current head, then trains on them.</summary>
    public int Rounds { get; init; } = 10;

    /// <summary>Adam steps per round.</summary>
    public int StepsPerRound { get; init; } = 150;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>Adam step size.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Sinkhorn temperature ε.</summary>
    public double SinkhornEpsilon { get; init; } = 0.05;

    /// <summary>
    /// Sinkhorn normalisation rounds. At ε = 0.05 the scores are sharp (a probability p weighs p^20),
    /// so a few rounds, as SwAV uses, leave the label totals far from equal; the head then learns a
    /// few large labels (about 8 of 32 used at query time with 3 rounds, 22 with 30), and poses are
    /// pinned by label boundaries (docs/localization-redkitchen.md, seed table).
    /// </summary>
    public int SinkhornIterations { get; init; } = 30;

    /// <summary>Neighbours per voxel in the graph the targets are smoothed on.</summary>
    public int Neighbours { get; init; } = 8;

    /// <summary>Neighbours farther than this many voxel edges are not linked.</summary>
    public double Radius { get; init; } = 2.5;

    /// <summary>Diffusion steps of the targets on the voxel graph.</summary>
    public int DiffusionIterations { get; init; } = 5;

    /// <summary>Share of each diffusion step taken from the neighbours.</summary>
    public double DiffusionRate { get; init; } = 0.5;

    /// <summary>Seconds of training after which the remaining steps are skipped; 0 = no limit.</summary>
    public double TimeBudget { get; init; } = 120;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (LabelCount < 2 || LabelCount > 256)
            throw new ArgumentException($"segmenter.label_count {LabelCount} must be in [2, 256]");
        if (Level < 0 || Level > 4)
            throw new ArgumentException($"segmenter.level {Level} must be in [0, 4]");
        if (HiddenCount < 1 || HiddenCount > 1024)
            throw new ArgumentException($"segmenter.hidden_count {HiddenCount} must be in [1, 1024]");
        if (OutputSmoothing < 0 || OutputSmoothing > 16)
            throw new ArgumentException($"segmenter.output_smoothing {OutputSmoothing} must be in [0, 16]");
        try
        {
            LearnedSegmenter.ValidateTaps(ContextTaps);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"segmenter.{e.Message}", e);
        }
        if (PixelStride < 1)
            throw new ArgumentException($"segmenter.pixel_stride {PixelStride} must be positive");
        if (!(CorrespondenceVoxel > 0))
            throw new ArgumentException($"segmenter.correspondence_voxel {CorrespondenceVoxel} must be positive");
        if (Rounds < 1 || StepsPerRound < 1 || BatchSize < 1)
            throw new ArgumentException("segmenter.rounds, steps_per_round and batch_size must be positive");
        if (!(LearningRate > 0) || !(SinkhornEpsilon > 0) || SinkhornIterations < 1)
            throw new ArgumentException("segmenter.learning_rate and sinkhorn_epsilon must be positive, sinkhorn_iterations at least 1");
        if (Neighbours < 1 || !(Radius > 0) || DiffusionIterations < 0 || !(DiffusionRate >= 0 && DiffusionRate <= 1))
            throw new ArgumentException("segmenter.neighbours, radius, diffusion_iterations or diffusion_rate out of range");
        if (!(TimeBudget >= 0))
            throw new ArgumentException($"segmenter.time_budget {TimeBudget} must be non-negative");
    }
}

/// <summary>One self-labelling round of <see cref="SegmenterTrainer.Train"/>.</summary>
/// <param name="Loss">Mean soft cross-entropy against the round's targets (nats per sample).</param>
/// <param name="ViewConsistency">Share of samples whose predicted label equals the majority prediction of their voxel, after the round.</param>
/// <param name="LabelsUsed">Labels predicted for at least 0.5 % of the samples.</param>
public sealed record TrainingRound(double Loss, double ViewConsistency, int LabelsUsed);

/// <summary>What a training run saw and did.</summary>
/// <param name="Views">Keyframes that gave samples.</param>
/// <param name="Samples">Pixels whose voxel at least two keyframes see.</param>
/// <param name="Voxels">Voxels seen from at least two keyframes.</param>
/// <param name="Rounds">Per round, in order.</param>
/// <param name="Seconds">Wall time of <see cref="SegmenterTrainer.Train"/>.</param>
/// <param name="StoppedByBudget">True when the time budget skipped steps (the result then depends on the machine's speed).</param>
public sealed record TrainingReport(int Views, int Samples, int Voxels, IReadOnlyList<TrainingRound> Rounds, double Seconds, bool StoppedByBudget);

/// <summary>
/// Learns a <see cref="LearnedSegmenter"/> from a mapping drive without any labels: pixels of
/// different keyframes whose depth puts them in the same small voxel see the same surface, so they
/// should get the same label (cross-view consistency). Self-labelling after SeLa/SwAV and SegLoc:
/// each round averages the head's predictions over every voxel's pixels from all views, smooths
/// them on the voxel neighbour graph (labels follow surfaces, GSFFs), balances them across labels
/// with Sinkhorn-Knopp (no collapse onto few labels) and trains the head with Adam to predict those
/// targets from each single pixel. The first targets are k-means clusters of view-averaged features.
/// </summary>
/// <remarks>
/// Occlusion: a sample is a pixel with a depth reading, placed at its own measured depth, so it is
/// the surface that view actually sees; no hidden surface is ever paired with it.
/// </remarks>
public sealed class SegmenterTrainer
{
    private const int Chunks = 16;
    private readonly LearnedSegmenterOptions _options;
    private readonly List<float[]> _features = [];
    private readonly List<long[]> _keys = [];

    /// <summary>A trainer with validated options.</summary>
    public SegmenterTrainer(LearnedSegmenterOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <summary>Keyframes added so far.</summary>
    public int Views => _features.Count;

    /// <summary>Inputs of the head: the features at the pixel and at its context taps.</summary>
    private int FeatureCount => LearnedSegmenter.FeatureCountFor(_options.ContextTaps);

    /// <summary>
    /// Takes the samples of one keyframe: the features of every <see cref="LearnedSegmenterOptions.PixelStride"/>-th
    /// pixel that has a depth reading, and the voxel its depth puts it in.
    /// </summary>
    public void AddView(RgbdFrame frame)
    {
        int level = _options.Level, stride = _options.PixelStride, d = FeatureCount;
        var image = frame.Color.AtLevel(level);
        var camera = frame.ColorCamera.AtLevel(level);
        var features = LearnedSegmenter.Features(image, _options.ContextTaps);
        var depth = DepthRegistration.Register(frame.Depth, frame.DepthCamera, frame.ColorFromDepth, camera);
        var kept = new List<float>();
        var keys = new List<long>();
        double inverseVoxel = 1 / _options.CorrespondenceVoxel;
        for (int y = stride / 2; y < image.Height; y += stride)
        {
            for (int x = stride / 2; x < image.Width; x += stride)
            {
                int p = y * image.Width + x;
                float z = depth[p];
                if (float.IsNaN(z) || !camera.TryUnproject(x, y, out var ray))
                    continue;
                var point = frame.MapFromColor.Apply(ray * z);
                keys.Add(VoxelKey(point.X * inverseVoxel, point.Y * inverseVoxel, point.Z * inverseVoxel));
                kept.AddRange(features.AsSpan(p * d, d));
            }
        }
        _features.Add(kept.ToArray());
        _keys.Add(keys.ToArray());
    }

    private const long KeyOffset = 1 << 20, KeyMask = (1 << 21) - 1;

    /// <summary>The voxel (coordinates in voxel edges) packed in 21 bits per axis.</summary>
    private static long VoxelKey(double x, double y, double z)
    {
        long Cell(double v) => ((long)Math.Floor(v) + KeyOffset) & KeyMask;
        return (Cell(x) << 42) | (Cell(y) << 21) | Cell(z);
    }

    /// <summary>The centre (m) of the voxel <paramref name="key"/> along the axis at <paramref name="shift"/> (42 x, 21 y, 0 z).</summary>
    private double VoxelCentre(long key, int shift) => (((key >> shift) & KeyMask) - KeyOffset + 0.5) * _options.CorrespondenceVoxel;

    /// <summary>Trains the segmenter on the keyframes added; <paramref name="progress"/> gets the fraction of steps done.</summary>
    /// <exception cref="InvalidOperationException">Too few keyframes see common surfaces to learn K labels.</exception>
    public (LearnedSegmenter Segmenter, TrainingReport Report) Train(IProgress<double>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var o = _options;
        int d = FeatureCount, k = o.LabelCount;
        var (x, voxelOf, counts, centres) = Correspondences();
        int n = voxelOf.Length, voxels = counts.Length;
        if (voxels < 4 * k)
            throw new InvalidOperationException($"only {voxels} voxels are seen from two or more keyframes ({n} samples from {Views} keyframes); " +
                $"{k} labels need more overlap between keyframes (or a larger segmenter.correspondence_voxel)");
        var (mean, scale) = Standardisation(x, d);
        for (int i = 0; i < x.Length; i++)
            x[i] = (x[i] - mean[i % d]) * scale[i % d];

        var random = new Random(o.Seed);
        var graph = NeighbourGraph.Build(centres, o.Neighbours, o.Radius * o.CorrespondenceVoxel, o.CorrespondenceVoxel);
        var targets = InitialTargets(x, voxelOf, counts, graph, random);
        var head = LabelHead<double>.Random(d, o.HiddenCount, k, random);
        var adam = new Adam(head.Parameters.Length, o.LearningRate);
        var rounds = new List<TrainingRound>();
        bool stopped = false;
        int totalSteps = o.Rounds * o.StepsPerRound, done = 0;
        for (int round = 0; round < o.Rounds && !stopped; round++)
        {
            if (round > 0)
                targets = SelfLabels(Predict(head, x, n), voxelOf, counts, graph);
            double loss = 0;
            int steps = 0;
            for (; steps < o.StepsPerRound; steps++)
            {
                if (o.TimeBudget > 0 && clock.Elapsed.TotalSeconds > o.TimeBudget)
                {
                    stopped = true;
                    break;
                }
                loss += Step(head, adam, x, voxelOf, targets, random);
                progress?.Report((double)++done / totalSteps);
            }
            var (consistency, used) = Consistency(Predict(head, x, n), voxelOf, voxels, k);
            rounds.Add(new TrainingRound(steps == 0 ? double.NaN : loss / steps, consistency, used));
        }
        var segmenter = new LearnedSegmenter(o.Level, mean, scale,
            new LabelHead<float>(d, o.HiddenCount, k, head.Parameters.Select(v => (float)v).ToArray()), o.OutputSmoothing, o.ContextTaps);
        return (segmenter, new TrainingReport(Views, n, voxels, rounds, clock.Elapsed.TotalSeconds, stopped));
    }

    /// <summary>
    /// The samples whose voxel two or more keyframes see: features (n × D), voxel index per sample,
    /// samples per voxel, voxel centres.
    /// </summary>
    private (float[] Features, int[] VoxelOf, double[] Counts, float[] Centres) Correspondences()
    {
        int d = FeatureCount;
        var voxels = new Dictionary<long, (int FirstView, bool Shared)>();
        for (int view = 0; view < _keys.Count; view++)
        {
            foreach (long key in _keys[view])
            {
                if (!voxels.TryGetValue(key, out var entry))
                    voxels[key] = (view, false);
                else if (!entry.Shared && entry.FirstView != view)
                    voxels[key] = (entry.FirstView, true);
            }
        }
        var index = new Dictionary<long, int>();
        var centres = new List<float>();
        var counts = new List<double>();
        var features = new List<float>();
        var voxelOf = new List<int>();
        for (int view = 0; view < _keys.Count; view++)
        {
            var keys = _keys[view];
            for (int s = 0; s < keys.Length; s++)
            {
                if (!voxels[keys[s]].Shared)
                    continue;
                if (!index.TryGetValue(keys[s], out int v))
                {
                    index[keys[s]] = v = counts.Count;
                    counts.Add(0);
                    foreach (int shift in (ReadOnlySpan<int>)[42, 21, 0])
                        centres.Add((float)VoxelCentre(keys[s], shift));
                }
                counts[v]++;
                voxelOf.Add(v);
                features.AddRange(_features[view].AsSpan(s * d, d));
            }
        }
        return (features.ToArray(), voxelOf.ToArray(), counts.ToArray(), centres.ToArray());
    }

    private static (float[] Mean, float[] Scale) Standardisation(float[] x, int d)
    {
        int n = x.Length / d;
        var mean = new float[d];
        var scale = new float[d];
        for (int f = 0; f < d; f++)
        {
            double sum = 0, sum2 = 0;
            for (int i = 0; i < n; i++)
            {
                double v = x[i * d + f];
                sum += v;
                sum2 += v * v;
            }
            double m = sum / n;
            mean[f] = (float)m;
            scale[f] = (float)(1 / Math.Max(Math.Sqrt(Math.Max(sum2 / n - m * m, 0)), 1e-6));
        }
        return (mean, scale);
    }

    /// <summary>First targets: k-means over each voxel's mean feature (a view-averaged colour codebook), smoothed on the graph.</summary>
    private double[] InitialTargets(float[] x, int[] voxelOf, double[] counts, NeighbourGraph graph, Random random)
    {
        int d = FeatureCount, k = _options.LabelCount, voxels = counts.Length;
        var voxelMean = new float[voxels * d];
        for (int i = 0; i < voxelOf.Length; i++)
            for (int f = 0; f < d; f++)
                voxelMean[voxelOf[i] * d + f] += x[i * d + f];
        for (int v = 0; v < voxels; v++)
            for (int f = 0; f < d; f++)
                voxelMean[v * d + f] /= (float)counts[v];
        var centroids = KMeans.Fit(voxelMean, d, k, 20, random);
        var oneHot = new float[voxels * k];
        for (int v = 0; v < voxels; v++)
            oneHot[v * k + KMeans.Nearest(voxelMean.AsSpan(v * d, d), centroids, k)] = 1;
        var smoothed = LabelDiffusion.Diffuse(oneHot, k, graph, _options.DiffusionIterations, _options.DiffusionRate);
        return Normalised(smoothed, k);
    }

    /// <summary>Targets from predictions: per-voxel mean over all views, smoothed on the graph, balanced by Sinkhorn.</summary>
    private double[] SelfLabels(float[] probabilities, int[] voxelOf, double[] counts, NeighbourGraph graph)
    {
        int k = _options.LabelCount, voxels = counts.Length;
        var voxelMean = new float[voxels * k];
        for (int i = 0; i < voxelOf.Length; i++)
            for (int c = 0; c < k; c++)
                voxelMean[voxelOf[i] * k + c] += probabilities[i * k + c];
        for (int v = 0; v < voxels; v++)
            for (int c = 0; c < k; c++)
                voxelMean[v * k + c] /= (float)counts[v];
        var smoothed = LabelDiffusion.Diffuse(voxelMean, k, graph, _options.DiffusionIterations, _options.DiffusionRate);
        var scores = new double[smoothed.Length];
        for (int i = 0; i < scores.Length; i++)
            scores[i] = Math.Log(smoothed[i] + 1e-6);
        return Sinkhorn.Assign(scores, counts, k, _options.SinkhornEpsilon, _options.SinkhornIterations);
    }

    private static double[] Normalised(float[] rows, int k)
    {
        var result = new double[rows.Length];
        for (int v = 0; v < rows.Length / k; v++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
                sum += rows[v * k + c];
            for (int c = 0; c < k; c++)
                result[v * k + c] = sum > 0 ? rows[v * k + c] / sum : 1.0 / k;
        }
        return result;
    }

    /// <summary>One Adam step on a random minibatch; returns its mean loss. The gradient is summed over fixed chunks in a fixed order, so it does not depend on the core count.</summary>
    private double Step(LabelHead<double> head, Adam adam, float[] x, int[] voxelOf, double[] targets, Random random)
    {
        int d = head.InputCount, k = head.LabelCount, b = _options.BatchSize;
        var rows = new int[b];
        for (int i = 0; i < b; i++)
            rows[i] = random.Next(voxelOf.Length);
        var inputs = new double[b * d];
        var batchTargets = new double[b * k];
        for (int i = 0; i < b; i++)
        {
            for (int f = 0; f < d; f++)
                inputs[i * d + f] = x[rows[i] * d + f];
            Array.Copy(targets, voxelOf[rows[i]] * k, batchTargets, i * k, k);
        }
        int parameters = head.Parameters.Length;
        var gradients = new double[Chunks * parameters];
        var losses = new double[Chunks];
        Parallel.For(0, Chunks, chunk =>
        {
            int from = chunk * b / Chunks, to = (chunk + 1) * b / Chunks;
            var chunkRows = Enumerable.Range(from, to - from).ToArray();
            losses[chunk] = head.AccumulateLossGradient(inputs, batchTargets, chunkRows, gradients.AsSpan(chunk * parameters, parameters));
        });
        var gradient = new double[parameters];
        for (int chunk = 0; chunk < Chunks; chunk++)
            for (int i = 0; i < parameters; i++)
                gradient[i] += gradients[chunk * parameters + i] / b;
        adam.Step(head.Parameters, gradient);
        return losses.Sum() / b;
    }

    /// <summary>Softmax of the head's logits for every sample (n × K), in float32 as at query time.</summary>
    private static float[] Predict(LabelHead<double> head, float[] x, int n)
    {
        int d = head.InputCount, k = head.LabelCount;
        var query = new LabelHead<float>(d, head.HiddenCount, k, head.Parameters.Select(v => (float)v).ToArray());
        var result = new float[n * k];
        Parallel.For(0, Chunks, chunk =>
        {
            Span<float> hidden = stackalloc float[query.HiddenCount];
            for (int i = chunk * n / Chunks; i < (chunk + 1) * n / Chunks; i++)
            {
                var logits = result.AsSpan(i * k, k);
                query.Forward(x.AsSpan(i * d, d), hidden, logits);
                LabelHead<float>.Softmax(logits);
            }
        });
        return result;
    }

    private static (double Consistency, int LabelsUsed) Consistency(float[] probabilities, int[] voxelOf, int voxels, int k)
    {
        int n = voxelOf.Length;
        var labels = new int[n];
        var votes = new int[voxels * k];
        var usage = new int[k];
        for (int i = 0; i < n; i++)
        {
            var row = probabilities.AsSpan(i * k, k);
            int best = 0;
            for (int c = 1; c < k; c++)
                if (row[c] > row[best])
                    best = c;
            labels[i] = best;
            votes[voxelOf[i] * k + best]++;
            usage[best]++;
        }
        int agree = 0;
        for (int i = 0; i < n; i++)
        {
            var row = votes.AsSpan(voxelOf[i] * k, k);
            int majority = 0;
            for (int c = 1; c < k; c++)
                if (row[c] > row[majority])
                    majority = c;
            if (labels[i] == majority)
                agree++;
        }
        return ((double)agree / n, usage.Count(u => u >= 0.005 * n));
    }
}
