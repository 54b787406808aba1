using System.Numerics;
using Mosaic.Core.Maps;

namespace Mosaic.Rendering;

/// <summary>
/// The Gaussians of a map prepared for rendering, in the renderer's number type: centre, world
/// covariance Σ = R S² Rᵀ (upper triangle xx xy xz yy yz zz), opacity in (0, 1), label, and the
/// second label with the first label's share of the weight (<see cref="Mosaic.Core.Imaging.Labels.Ignore"/> and 1 where a
/// Gaussian has one label). Built once per map; it is what a backend keeps resident.
/// </summary>
internal sealed class SplatScene<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Count { get; }
    public int LabelCount { get; }
    public T[] Means { get; }
    public T[] Covariances { get; }
    public T[] Opacities { get; }
    public ushort[] Labels { get; }
    public ushort[] SecondLabels { get; }
    public T[] FirstLabelShares { get; }

    /// <summary>Per Gaussian, the largest eigenvalue of Σ (its longest axis squared): bounds its footprint.</summary>
    public T[] LargestVariances { get; }

    public SplatScene(GaussianMap map)
    {
        string? problem = map.FindProblem();
        if (problem is not null)
            throw new ArgumentException($"cannot render an invalid map: {problem}", nameof(map));
        int n = map.Count;
        Count = n;
        LabelCount = map.LabelCount;
        Means = new T[3 * n];
        Covariances = new T[6 * n];
        Opacities = new T[n];
        LargestVariances = new T[n];
        Labels = (ushort[])map.Labels.Clone();
        SecondLabels = map.SecondLabels is { } second ? (ushort[])second.Clone() : Enumerable.Repeat(Mosaic.Core.Imaging.Labels.Ignore, n).ToArray();
        FirstLabelShares = map.FirstLabelShares is { } shares ? shares.Select(q => T.CreateChecked((double)q)).ToArray() : Enumerable.Repeat(T.One, n).ToArray();
        Span<double> r = stackalloc double[9];
        Span<double> s2 = stackalloc double[3];
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < 3; a++)
                Means[3 * i + a] = T.CreateChecked((double)map.Positions[3 * i + a]);
            double qw = map.Rotations[4 * i], qx = map.Rotations[4 * i + 1], qy = map.Rotations[4 * i + 2], qz = map.Rotations[4 * i + 3];
            double norm = Math.Sqrt(qw * qw + qx * qx + qy * qy + qz * qz);
            (qw, qx, qy, qz) = (qw / norm, qx / norm, qy / norm, qz / norm);
            r[0] = 1 - 2 * (qy * qy + qz * qz); r[1] = 2 * (qx * qy - qw * qz); r[2] = 2 * (qx * qz + qw * qy);
            r[3] = 2 * (qx * qy + qw * qz); r[4] = 1 - 2 * (qx * qx + qz * qz); r[5] = 2 * (qy * qz - qw * qx);
            r[6] = 2 * (qx * qz - qw * qy); r[7] = 2 * (qy * qz + qw * qx); r[8] = 1 - 2 * (qx * qx + qy * qy);
            for (int a = 0; a < 3; a++)
                s2[a] = Math.Exp(2.0 * map.LogScales[3 * i + a]);
            LargestVariances[i] = T.CreateChecked(Math.Max(s2[0], Math.Max(s2[1], s2[2])));
            int o = 6 * i;
            // Σ_ab = Σ_c R_ac s_c² R_bc
            int u = 0;
            for (int a = 0; a < 3; a++)
            {
                for (int b = a; b < 3; b++)
                {
                    double sum = 0;
                    for (int c = 0; c < 3; c++)
                        sum += r[3 * a + c] * s2[c] * r[3 * b + c];
                    Covariances[o + u++] = T.CreateChecked(sum);
                }
            }
            Opacities[i] = T.CreateChecked(1.0 / (1.0 + Math.Exp(-(double)map.OpacityLogits[i])));
        }
    }
}
