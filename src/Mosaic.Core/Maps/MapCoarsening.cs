using Mosaic.Core.Geometry;

namespace Mosaic.Core.Maps;

/// <summary>
/// A coarser version of a map for renders whose pixels are much larger than its Gaussians (the
/// coarsest levels of the image pyramid): the Gaussians of one label inside one cube of the grid
/// become one Gaussian with the mixture's mean and covariance. Renders of such a level cost in
/// proportion to the number of Gaussians, not of pixels, and look the same to within a pixel.
/// </summary>
public static class MapCoarsening
{
    /// <summary>
    /// Merges the Gaussians of each label within each cube of edge <paramref name="voxel"/> (metres,
    /// cubes aligned to the map origin). Members are weighted by opacity; the merged Gaussian has their
    /// weighted mean, the weighted second moment of the mixture (Σ_i w_i (Σ_i + (μ_i − μ)(μ_i − μ)ᵀ) / Σ_i w_i)
    /// and the largest member opacity, so a solid surface stays solid. Groups keep the order of their
    /// first member, which makes the result deterministic. Second labels
    /// (<see cref="GaussianMap.SecondLabels"/>) are left out: at the coarse levels each place keeps
    /// its first label, with all of its weight (README "Second labels").
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="voxel"/> is not positive and finite.</exception>
    public static GaussianMap Coarsened(this GaussianMap map, double voxel)
    {
        if (!(voxel > 0) || !double.IsFinite(voxel))
            throw new ArgumentOutOfRangeException(nameof(voxel), $"coarsening voxel {voxel} must be positive");
        var groupOf = new Dictionary<(long X, long Y, long Z, ushort Label), int>();
        var groups = new List<Moments>();
        for (int i = 0; i < map.Count; i++)
        {
            var centre = new Vector3d(map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2]);
            var cell = ((long)Math.Floor(centre.X / voxel), (long)Math.Floor(centre.Y / voxel), (long)Math.Floor(centre.Z / voxel), map.Labels[i]);
            if (!groupOf.TryGetValue(cell, out int g))
            {
                g = groups.Count;
                groupOf.Add(cell, g);
                // Moments are taken about the cube's corner, where they stay small and exact in double.
                groups.Add(new Moments(new Vector3d(cell.Item1, cell.Item2, cell.Item3) * voxel, map.Labels[i]));
            }
            groups[g].Add(centre, Covariance(map, i), map.OpacityLogits[i]);
        }

        var merged = new GaussianMap(groups.Count, map.LabelCount);
        for (int g = 0; g < groups.Count; g++)
            groups[g].WriteTo(merged, g);
        return merged;
    }

    /// <summary>Σ = R diag(s²) Rᵀ of Gaussian <paramref name="i"/>.</summary>
    private static Matrix3d Covariance(GaussianMap map, int i)
    {
        var r = new Quaterniond(map.Rotations[4 * i], map.Rotations[4 * i + 1], map.Rotations[4 * i + 2], map.Rotations[4 * i + 3]).Normalized().ToMatrix();
        var s2 = Matrix3d.Diagonal(Math.Exp(2.0 * map.LogScales[3 * i]), Math.Exp(2.0 * map.LogScales[3 * i + 1]), Math.Exp(2.0 * map.LogScales[3 * i + 2]));
        return r * s2 * r.Transpose();
    }

    /// <summary>Weighted sums of one group's members, about <see cref="_origin"/>.</summary>
    private sealed class Moments(Vector3d origin, ushort label)
    {
        /// <summary>Variance floor (m²) of a merged axis: a single flat member stays flat, not degenerate.</summary>
        private const double MinVariance = 1e-10;

        private readonly Vector3d _origin = origin;
        private double _weight;
        private Vector3d _first;
        private Matrix3d _second;
        private float _opacityLogit = float.NegativeInfinity;

        public void Add(Vector3d centre, Matrix3d covariance, float opacityLogit)
        {
            double w = 1 / (1 + Math.Exp(-opacityLogit));
            var d = centre - _origin;
            _weight += w;
            _first += w * d;
            _second += w * (covariance + Outer(d, d));
            _opacityLogit = Math.Max(_opacityLogit, opacityLogit);
        }

        public void WriteTo(GaussianMap map, int g)
        {
            var mean = _first / _weight;
            var c = (1 / _weight) * _second - Outer(mean, mean);
            var (values, vectors) = SymmetricEigen3.Decompose(c.M00, c.M01, c.M02, c.M11, c.M12, c.M22);
            var centre = _origin + mean;
            var q = Quaterniond.FromMatrix(vectors);
            map.Positions[3 * g] = (float)centre.X;
            map.Positions[3 * g + 1] = (float)centre.Y;
            map.Positions[3 * g + 2] = (float)centre.Z;
            map.LogScales[3 * g] = (float)(0.5 * Math.Log(Math.Max(values.X, MinVariance)));
            map.LogScales[3 * g + 1] = (float)(0.5 * Math.Log(Math.Max(values.Y, MinVariance)));
            map.LogScales[3 * g + 2] = (float)(0.5 * Math.Log(Math.Max(values.Z, MinVariance)));
            map.Rotations[4 * g] = (float)q.W;
            map.Rotations[4 * g + 1] = (float)q.X;
            map.Rotations[4 * g + 2] = (float)q.Y;
            map.Rotations[4 * g + 3] = (float)q.Z;
            map.OpacityLogits[g] = _opacityLogit;
            map.Labels[g] = label;
        }

        private static Matrix3d Outer(Vector3d a, Vector3d b) => new(
            a.X * b.X, a.X * b.Y, a.X * b.Z,
            a.Y * b.X, a.Y * b.Y, a.Y * b.Z,
            a.Z * b.X, a.Z * b.Y, a.Z * b.Z);
    }
}
