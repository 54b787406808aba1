using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Mosaic.Core.Imaging;
using Mosaic.Core.Synthetic;
using Mosaic.Rendering;

namespace Mosaic.Benchmarks;

/// <summary>
/// The label histograms of a refinement's coarser levels (<see cref="LabelDistributionImage.Downsample"/>),
/// built once per level from the full-resolution query: levels 1-3 of a one-hot 640×480 query.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 10, iterationCount: 10)]
[MemoryDiagnoser]
[MedianColumn]
public class QueryPyramidBenchmarks
{
    private LabelDistributionImage _query = null!;

    [GlobalSetup]
    public void Setup()
    {
        var renderer = new CpuLabelRenderer<float>(SyntheticRoom.Generate(100_000, 16, seed: 1));
        var truth = SyntheticRoom.RandomCameraPose(new Random(2));
        _query = LabelDistributionImage.FromLabels(renderer.Render(truth.Inverse(), SyntheticRoom.Camera).HardLabels(), 16);
    }

    [Benchmark]
    public int Levels1To3()
    {
        int valid = 0;
        for (int level = 1; level <= 3; level++)
            valid += _query.Downsample(1 << level).ValidPixelCount;
        return valid;
    }
}
