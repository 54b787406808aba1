using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Rendering.Tests;

/// <summary>Small random scenes in front of a small camera, for exact comparisons.</summary>
internal static class TestScenes
{
    public static readonly PinholeCamera Camera = new(48, 36, 40, 42, 23.7, 17.2);

    /// <summary>
    /// Random Gaussians 0.5–3 m in front of the identity camera, anisotropic and rotated, some large
    /// enough to span several 16-pixel tiles, and a few whose centres lie just beyond the near plane
    /// with extents crossing it. With <paramref name="secondLabels"/>, about 40 % of them carry a second
    /// label with a random share (the geometry and first labels are the same either way).
    /// </summary>
    public static GaussianMap RandomScene(int seed, int count = 120, int labelCount = 5, double nearPlane = 0.05, bool secondLabels = true)
    {
        var rng = new Random(seed);
        var map = new GaussianMap(count, labelCount);
        for (int i = 0; i < count; i++)
        {
            bool nearPlaneCase = i % 20 == 0;
            double z = nearPlaneCase ? nearPlane + 0.01 + 0.02 * rng.NextDouble() : 0.5 + 2.5 * rng.NextDouble();
            double spread = nearPlaneCase ? 0.02 : 0.6 * z;
            map.Positions[3 * i] = (float)((rng.NextDouble() - 0.5) * 2 * spread);
            map.Positions[3 * i + 1] = (float)((rng.NextDouble() - 0.5) * 1.5 * spread);
            map.Positions[3 * i + 2] = (float)z;
            for (int a = 0; a < 3; a++)
            {
                double scale = nearPlaneCase ? 0.03 : 0.02 + 0.15 * rng.NextDouble() * rng.NextDouble();
                map.LogScales[3 * i + a] = (float)Math.Log(scale);
            }
            var q = new Quaterniond(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5).Normalized();
            map.Rotations[4 * i] = (float)q.W;
            map.Rotations[4 * i + 1] = (float)q.X;
            map.Rotations[4 * i + 2] = (float)q.Y;
            map.Rotations[4 * i + 3] = (float)q.Z;
            map.OpacityLogits[i] = (float)(rng.NextDouble() * 4 - 1);
            map.Labels[i] = (ushort)rng.Next(labelCount);
        }
        if (!secondLabels || labelCount < 2)
            return map;
        var split = new Random(seed + 7919);
        var second = new ushort[count];
        var shares = new float[count];
        for (int i = 0; i < count; i++)
        {
            (second[i], shares[i]) = (Labels.Ignore, 1);
            if (split.NextDouble() < 0.4)
                (second[i], shares[i]) = ((ushort)((map.Labels[i] + 1 + split.Next(labelCount - 1)) % labelCount), (float)(0.5 + 0.5 * split.NextDouble()));
        }
        return map.WithSecondLabels(second, shares);
    }

    /// <summary>A pose near the identity: the camera looks into the scene from slightly off-centre.</summary>
    public static Se3 RandomPose(Random rng, double translation = 0.05, double rotation = 0.05) =>
        Se3.Exp(new Tangent(
            new Vector3d(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5) * (2 * translation),
            new Vector3d(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5) * (2 * rotation)));

    /// <summary>
    /// A query with label boundaries: the hard labels rendered at another pose, 10% of pixels given a
    /// random label and 10% ignored.
    /// </summary>
    public static LabelDistributionImage Query(GaussianMap map, Se3 pose, int seed)
    {
        var renderer = new Rendering.CpuLabelRenderer<double>(map);
        var labels = renderer.Render(pose, Camera).HardLabels(0.05);
        var rng = new Random(seed);
        for (int p = 0; p < labels.Data.Length; p++)
        {
            double r = rng.NextDouble();
            if (labels.Data[p] == Labels.Ignore || r < 0.1)
                labels.Data[p] = (ushort)rng.Next(map.LabelCount);
            else if (r < 0.2)
                labels.Data[p] = Labels.Ignore;
        }
        return LabelDistributionImage.FromLabels(labels, map.LabelCount);
    }
}
