using Mosaic.Core.Geometry;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>The emulated CUDA backend against the CPU backend on a map built from real RGB-D frames.</summary>
[Collection(nameof(RealMap))]
public class RealMapParityTests(RealMap real)
{
    [Fact]
    public void A_real_map_renders_and_evaluates_as_on_the_cpu_at_every_pyramid_level()
    {
        var map = real.Map.Gaussians;
        using var cuda = new CudaLabelRenderer(new EmulatedDevice(), map, null) { PoisonOutputs = true };
        var cpu = new CpuLabelRenderer<float>(map);
        var keyframe = real.Map.Keyframes!.Keyframes[3].MapFromCamera.Inverse();
        // A few centimetres and about a degree off the keyframe, as refinement sees it.
        var pose = Se3.Exp(new Tangent(new Vector3d(0.03, -0.02, 0.04), new Vector3d(0.01, -0.015, 0.02))) * keyframe;
        var query = real.QueryAt(3);
        for (int level = 0; level < 3; level++)
            ParityHarness.Matches(cuda, cpu, pose, real.Camera.AtLevel(level), query.Downsample(1 << level), withRender: level == 0);
    }
}
