using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Mapping.Tests;

public class FusionAndGraphTests
{
    private static readonly CameraModel Camera = new(new PinholeCamera(80, 60, 60, 60, 39.5, 29.5), DistortionModel.None);

    /// <summary>A depth image of the plane z = 2 (map frame) seen from a camera at T_map_cam.</summary>
    private static Image<float> PlaneDepth(Se3 mapFromCamera)
    {
        var depth = new Image<float>(80, 60);
        var normal = mapFromCamera.Rotation.Inverse() * new Vector3d(0, 0, 1);
        var origin = mapFromCamera.Inverse().Apply(new Vector3d(0, 0, 2));
        for (int y = 0; y < 60; y++)
        {
            for (int x = 0; x < 80; x++)
            {
                var ray = Camera.Intrinsics.Unproject(x, y);
                double t = Vector3d.Dot(origin, normal) / Vector3d.Dot(ray, normal);
                depth[x, y] = (float)t;
            }
        }
        return depth;
    }

    private static readonly Se3[] Views =
    [
        Se3.Identity,
        new(So3.Exp(new Vector3d(0.1, 0, 0)), new Vector3d(0.1, 0, 0)),
        new(So3.Exp(new Vector3d(0, -0.1, 0)), new Vector3d(0, 0.1, 0)),
    ];

    [Fact]
    public void A_seen_plane_becomes_flat_gaussians_on_the_plane_with_the_normal_as_thin_axis()
    {
        var fusion = new DepthFusion(new FusionOptions { VoxelSize = 0.05, PixelStride = 1 });
        foreach (var view in Views)
            fusion.Add(PlaneDepth(view), Camera, view);
        var (map, statistics) = fusion.Build(labelCount: 4);

        Assert.True(map.Count > 100, $"{map.Count} Gaussians");
        Assert.Equal(statistics.Gaussians, map.Count);
        for (int i = 0; i < map.Count; i++)
        {
            Assert.Equal(2.0, map.Positions[3 * i + 2], 3);
            // The smallest scale is the first (ascending eigenvalues) and clamped at min_scale.
            Assert.Equal(Math.Log(0.1 * 0.05), map.LogScales[3 * i], 3);
            var q = new Quaterniond(map.Rotations[4 * i], map.Rotations[4 * i + 1], map.Rotations[4 * i + 2], map.Rotations[4 * i + 3]);
            var thinAxis = q.ToMatrix().Column(0);
            Assert.True(Math.Abs(thinAxis.Z) > 0.999, $"Gaussian {i}: thin axis {thinAxis}");
        }
    }

    [Fact]
    public void Flying_pixels_at_depth_edges_and_isolated_voxels_are_dropped()
    {
        var fusion = new DepthFusion(new FusionOptions { VoxelSize = 0.05, PixelStride = 1, MinViews = 1 });
        var depth = PlaneDepth(Se3.Identity);
        // A step edge: the right half is a wall 1 m nearer; a lone speck floats in front of it.
        for (int y = 0; y < 60; y++)
            for (int x = 40; x < 80; x++)
                depth[x, y] = 1;
        depth[20, 30] = 0.5f;
        fusion.Add(depth, Camera, Se3.Identity);
        var (map, statistics) = fusion.Build(labelCount: 2);

        Assert.True(statistics.EdgePoints >= 2 * 60, $"{statistics.EdgePoints} edge points");
        for (int i = 0; i < map.Count; i++)
        {
            double z = map.Positions[3 * i + 2];
            Assert.True(Math.Abs(z - 2) < 0.03 || Math.Abs(z - 1) < 0.03, $"Gaussian at depth {z} between the surfaces");
        }
    }

    [Fact]
    public void The_neighbour_graph_finds_the_same_k_nearest_as_brute_force()
    {
        var rng = new Random(3);
        var positions = new float[3 * 500];
        for (int i = 0; i < positions.Length; i++)
            positions[i] = (float)rng.NextDouble();
        var graph = NeighbourGraph.Build(positions, k: 6, radius: 0.2, sigma: 0.1);
        for (int i = 0; i < 500; i++)
        {
            double D(int j) => Math.Pow(positions[3 * i] - positions[3 * j], 2) + Math.Pow(positions[3 * i + 1] - positions[3 * j + 1], 2) + Math.Pow(positions[3 * i + 2] - positions[3 * j + 2], 2);
            var expected = Enumerable.Range(0, 500).Where(j => j != i && D(j) <= 0.04).OrderBy(D).ThenBy(j => j).Take(6).ToArray();
            var found = graph.Neighbours.Skip(6 * i).Take(6).Where(j => j >= 0).ToArray();
            Assert.Equal(expected, found);
            for (int s = 0; s < found.Length; s++)
                Assert.True(Math.Abs(Math.Exp(-D(found[s]) / (2 * 0.01)) - graph.Weights[6 * i + s]) < 1e-6);
        }
    }

    [Fact]
    public void Diffusion_labels_unseen_gaussians_and_outvotes_a_lone_disagreeing_one()
    {
        // A row of 7 Gaussians 1 cm apart: all say label 1 except index 3 (label 0, weakly) and index 5 (never seen).
        var positions = new float[3 * 7];
        for (int i = 0; i < 7; i++)
            positions[3 * i] = 0.01f * i;
        var distributions = new float[7 * 2];
        for (int i = 0; i < 7; i++)
            distributions[2 * i + 1] = 1;
        (distributions[6], distributions[7]) = (0.55f, 0.45f);
        (distributions[10], distributions[11]) = (0, 0);
        var graph = NeighbourGraph.Build(positions, k: 2, radius: 0.015, sigma: 0.01);
        var labels = LabelDiffusion.ArgMax(LabelDiffusion.Diffuse(distributions, 2, graph, iterations: 10, rate: 0.5), 2, ushort.MaxValue);
        Assert.All(labels, l => Assert.Equal(1, l));
        Assert.Equal(ushort.MaxValue, LabelDiffusion.ArgMax(distributions, 2, ushort.MaxValue)[5]);
    }

    [Fact]
    public void Keyframes_follow_the_motion_thresholds_and_the_count_limit()
    {
        var candidates = Enumerable.Range(0, 100)
            .Select(i => new FrameCandidate(i, i, new Se3(So3.Identity, new Vector3d(0.01 * i, 0, 0))))
            .ToList();
        var every5cm = KeyframeSelector.Select(candidates, new KeyframeOptions { MinTranslation = 0.0499, MinRotationDeg = 90 });
        Assert.Equal(Enumerable.Range(0, 20).Select(i => 5L * i), every5cm.Select(c => c.ColorStamp));
        var limited = KeyframeSelector.Select(candidates, new KeyframeOptions { MinTranslation = 0.0499, MinRotationDeg = 90, MaxCount = 4 });
        Assert.Equal([0L, 25, 50, 75], limited.Select(c => c.ColorStamp));
    }
}
