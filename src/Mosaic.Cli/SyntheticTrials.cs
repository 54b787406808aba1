using System.Diagnostics;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Mosaic.Localization;
using Mosaic.Rendering;

namespace Mosaic.Cli;

/// <summary>One refinement from a perturbed pose on the synthetic room.</summary>
internal sealed record TrialResult(
    double InitialTranslation, double InitialRotation, double FinalTranslation, double FinalRotation,
    double Loss, double Coverage, int Iterations, double Milliseconds);

/// <summary>
/// Refinement trials on the synthetic room: the query is the label image rendered from the map at a
/// random true pose (optionally with label noise and ignored pixels); the start is the true pose
/// perturbed by exactly the given translation and rotation in random directions.
/// </summary>
internal sealed class SyntheticTrials
{
    private readonly CpuLabelRenderer<float> _renderer;
    private readonly PoseRefiner _refiner;
    private readonly PinholeCamera _camera;

    public GaussianMap Map { get; }

    public SyntheticTrials(int gaussians, int labels, int seed, PinholeCamera camera, RefinerOptions? options = null)
    {
        Map = SyntheticRoom.Generate(gaussians, labels, seed);
        _renderer = new CpuLabelRenderer<float>(Map);
        _refiner = new PoseRefiner(_renderer, options);
        _camera = camera;
    }

    /// <summary>Query labels rendered at <paramref name="truth"/>; with noise, 5% wrong labels and 10% ignored pixels.</summary>
    public LabelDistributionImage Query(Se3 truth, Random rng, bool noise)
    {
        var labels = _renderer.RenderHardLabels(truth.Inverse(), _camera);
        if (noise)
        {
            for (int p = 0; p < labels.Data.Length; p++)
            {
                double r = rng.NextDouble();
                if (r < 0.05)
                    labels.Data[p] = (ushort)rng.Next(Map.LabelCount);
                else if (r < 0.15)
                    labels.Data[p] = Labels.Ignore;
            }
        }
        return LabelDistributionImage.FromLabels(labels, Map.LabelCount);
    }

    public TrialResult Run(Random rng, double translationError, double rotationErrorRadians, bool noise)
    {
        var truth = SyntheticRoom.RandomCameraPose(rng);
        var query = Query(truth, rng, noise);
        var offset = new Tangent(RandomUnit(rng) * translationError, RandomUnit(rng) * rotationErrorRadians);
        var start = truth * new Se3(So3.Exp(offset.Rotation), offset.Translation);
        var (t0, r0) = Se3.Distance(start, truth);
        var clock = Stopwatch.StartNew();
        var result = _refiner.Refine(query, _camera, start);
        double ms = clock.Elapsed.TotalMilliseconds;
        var (t1, r1) = Se3.Distance(result.MapFromCamera, truth);
        return new TrialResult(t0, r0, t1, r1, result.Loss, result.Coverage, result.Iterations, ms);
    }

    private static Vector3d RandomUnit(Random rng)
    {
        while (true)
        {
            var v = new Vector3d(rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1);
            double n = v.Norm;
            if (n > 0.1 && n <= 1)
                return v / n;
        }
    }
}
