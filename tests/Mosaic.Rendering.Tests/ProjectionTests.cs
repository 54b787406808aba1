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

    [Theory]
    [InlineData(3, 1)]
    [InlineData(4, 3)]
    public void Every_tile_lists_the_Gaussians_whose_rectangle_covers_it_front_to_back_ties_by_index(int seed, int level)
    {
        var map = SyntheticRoom.Generate(20_000, 6, seed);
        var scene = new SplatScene<float>(map);
        var camera = SyntheticRoom.Camera.AtLevel(level);
        var projection = new GaussianProjection<float>();
        projection.Project(scene, SyntheticRoom.RandomCameraPose(new Random(seed)).Inverse(), camera, new RenderSettings(), tileSize: 4, withJacobian: false);
        // Equal depths, which a float sort must order by index.
        for (int v = 1; v < projection.Count; v += 7)
            projection.Splats[v].Depth = projection.Splats[v - 1].Depth;

        var bins = new TileBins();
        bins.Build(projection);

        Assert.True(projection.Count > 1000);
        for (int tile = 0; tile < projection.TilesX * projection.TilesY; tile++)
        {
            int tx = tile % projection.TilesX, ty = tile / projection.TilesX;
            var expected = Enumerable.Range(0, projection.Count)
                .Where(v => projection.TileX0[v] <= tx && tx < projection.TileX1[v] && projection.TileY0[v] <= ty && ty < projection.TileY1[v])
                .OrderBy(v => projection.Splats[v].Depth).ThenBy(v => v)
                .ToArray();
            Assert.Equal(expected, bins.ListOf(tile).ToArray());
        }
        Assert.Equal(Enumerable.Range(0, projection.TilesX * projection.TilesY).Max(t => bins.ListOf(t).Length), bins.MaxEntriesPerTile);
    }
}
