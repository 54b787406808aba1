using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Synthetic;
using Mosaic.Localization;
using Mosaic.Rendering;

namespace Mosaic.Benchmarks;

/// <summary>
/// CPU backend timings on the synthetic room: forward (loss only), forward + backward (loss,
/// gradient, normal matrix) at one resolution, and a full coarse-to-fine refine from a 5 cm / 2 deg
/// perturbation whose query has that resolution, plain and with three rounds of bias correction.
/// </summary>
/// <remarks>
/// Throughput strategy: a refinement runs evaluations back to back, which is what repeated invocations
/// measure. Single cold invocations (the monitoring strategy, used until 2026-11-29) time every call
/// cold: 28 instead of 11 ms forward+backward at 160×120 / 200k.
/// </remarks>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 10, iterationCount: 10)]
[MemoryDiagnoser]
[MedianColumn]
public class RenderingBenchmarks
{
    private CpuLabelRenderer<float> _renderer = null!;
    private PoseRefiner _refiner = null!;
    private PoseRefiner _correctingRefiner = null!;
    private PinholeCamera _camera = null!;
    private LabelDistributionImage _query = null!;
    private Se3 _truth, _start;

    [Params(100_000, 200_000, 500_000)]
    public int Gaussians { get; set; }

    [Params(160, 320, 640)]
    public int Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _renderer = new CpuLabelRenderer<float>(SyntheticRoom.Generate(Gaussians, 16, seed: 1));
        _camera = SyntheticRoom.Camera.AtLevel(Width switch { 640 => 0, 320 => 1, _ => 2 });
        _truth = SyntheticRoom.RandomCameraPose(new Random(2));
        _query = LabelDistributionImage.FromLabels(_renderer.Render(_truth.Inverse(), _camera).HardLabels(), 16);
        _start = _truth * Se3.Exp(new Tangent(new Vector3d(0.03, -0.03, 0.028), new Vector3d(0.02, 0.02, -0.015)));
        // Pyramid: three levels, ending at half this resolution (at 160x120 for 160).
        int finest = Width switch { 640 => 1, 320 => 1, _ => 0 };
        var options = new RefinerOptions { FinestLevel = finest, CoarsestLevel = finest + 2 };
        _refiner = new PoseRefiner(_renderer, options);
        _correctingRefiner = new PoseRefiner(_renderer, options with { BiasCorrectionRounds = 3 });
    }

    [Benchmark]
    public double Forward() => _renderer.Evaluate(_start.Inverse(), _camera, _query, withGradient: false).Loss;

    [Benchmark]
    public double ForwardBackward() => _renderer.Evaluate(_start.Inverse(), _camera, _query, withGradient: true).Loss;

    [Benchmark]
    public double Refine() => _refiner.Refine(_query, _camera, _start).Loss;

    [Benchmark]
    public double RefineCorrected() => _correctingRefiner.Refine(_query, _camera, _start).Loss;
}
