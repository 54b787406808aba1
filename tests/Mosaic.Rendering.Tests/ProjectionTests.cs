using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;

namespace Mosaic.Rendering.Tests;

public class ProjectionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Gaussians_centred_outside_the_image_still_render_where_their_footprint_reaches_in(int seed)
    {
        // The synthetic room has Gaussians on every side of the camera; every 50th is made large
        // (5-55 cm), so that many footprints reach into the image from centres well outside it, which
        // is where the cheap early-out bound of the projection must not cull.
        var map = SyntheticRoom.Generate(3_000, 6, seed);
        var rng = new Random(seed);
        for (int i = 0; i < map.Count; i += 50)
        {
            for (int a = 0; a < 3; a++)
                map.LogScales[3 * i + a] = (float)Math.Log(0.05 + 0.5 * rng.NextDouble());
        }
        var camera = SyntheticRoom.Camera.AtLevel(4);
        var settings = new RenderSettings();
        var pose = SyntheticRoom.RandomCameraPose(rng).Inverse();

        var fast = new CpuLabelRenderer<float>(map, settings).Render(pose, camera);
        var slow = ReferenceRenderer.Render(map, pose, camera, settings);

        for (int i = 0; i < slow.LabelWeights.Length; i++)
            Assert.True(Math.Abs(fast.LabelWeights[i] - slow.LabelWeights[i]) < 1e-4, $"A_k element {i}: {fast.LabelWeights[i]} vs {slow.LabelWeights[i]}");
        Assert.Contains(slow.Alpha, a => a > 0.5);
    }
}
