using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Synthetic;

namespace Mosaic.Rendering.Tests;

/// <summary>The CPU backend's sums do not depend on how the work was spread over threads.</summary>
public class DeterminismTests
{
    [Fact]
    public void The_loss_and_its_derivatives_repeat_to_the_bit_when_many_threads_share_the_work()
    {
        var map = SyntheticRoom.Generate(20_000, labelCount: 8, seed: 3);
        var camera = SyntheticRoom.Camera.AtLevel(1);
        var truth = SyntheticRoom.RandomCameraPose(new Random(5)).Inverse();
        var renderer = new CpuLabelRenderer<float>(map);
        var query = LabelDistributionImage.FromLabels(renderer.RenderHardLabels(truth, camera), map.LabelCount);
        var pose = Se3.Exp(new Tangent(new Vector3d(0.02, -0.01, 0.015), new Vector3d(0.01, 0.005, -0.01))) * truth;
        // More pool threads than this machine's cores start at once, so that the tiles are shared out
        // differently from run to run (with per-thread sums, the gradient then differed in its last bits).
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), completionPorts);
        try
        {
            var first = renderer.Evaluate(pose, camera, query, withGradient: true);
            Assert.True(first.ValidPixels > 10_000, "the room fills most of the view");
            for (int run = 0; run < 10; run++)
            {
                var again = renderer.Evaluate(pose, camera, query, withGradient: true);
                Assert.Equal(first.Loss, again.Loss);
                Assert.Equal(first.Objective, again.Objective);
                Assert.Equal(first.Gradient, again.Gradient);
                Assert.Equal(first.NormalMatrix, again.NormalMatrix);
                Assert.Equal(first.CoveredLossByLabel, again.CoveredLossByLabel);
            }
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
    }
}
