using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Rendering.Tests;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>The cases the CUDA backend is compared with the CPU backend on, and the assertion of <see cref="BackendParity"/>.</summary>
internal static class ParityHarness
{
    public static void Matches(ILabelRenderer cuda, ILabelRenderer cpu, Se3 pose, PinholeCamera camera, LabelDistributionImage query, bool withRender = true)
    {
        var result = BackendParity.Compare(cuda, cpu, pose, camera, query, withRender);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
    }

    /// <summary>Random scenes of the CPU backend's tests with their random poses and queries.</summary>
    public static IEnumerable<(GaussianMap Map, Se3 Pose, PinholeCamera Camera, LabelDistributionImage Query)> RandomCases(int seed)
    {
        var rng = new Random(seed);
        var map = TestScenes.RandomScene(seed, count: 200, labelCount: 5);
        var pose = TestScenes.RandomPose(rng);
        var query = TestScenes.Query(map, TestScenes.RandomPose(rng), seed + 1);
        yield return (map, pose, TestScenes.Camera, query);
        // A coarser pyramid level: several labels per pixel.
        yield return (map, pose, TestScenes.Camera.AtLevel(1), query.Downsample(2));
    }
}
