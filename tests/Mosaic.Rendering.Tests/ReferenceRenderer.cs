using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Rendering;

namespace Mosaic.Rendering.Tests;

/// <summary>
/// The slow, obvious renderer the tiled one is checked against: float64, every Gaussian considered
/// at every pixel, sorted by depth, with the covariance built from its definition Σ = R S Sᵀ Rᵀ.
/// </summary>
internal static class ReferenceRenderer
{
    private sealed record Projected(int Index, double Depth, double MeanX, double MeanY, double A, double B, double C, double Opacity, int Label);

    /// <summary>One Gaussian's compositing weight at one pixel.</summary>
    public readonly record struct Contribution(int Gaussian, double Weight, double Depth, int Label);

    public sealed record Image(double[] LabelWeights, double[] Alpha, double[] Depth, int Width, int Height, int LabelCount);

    public static Image Render(GaussianMap map, Se3 camFromMap, PinholeCamera cam, RenderSettings s)
    {
        int n = cam.Width * cam.Height, k = map.LabelCount;
        var image = new Image(new double[n * k], new double[n], new double[n], cam.Width, cam.Height, k);
        var contributions = PixelWeights(map, camFromMap, cam, s);
        for (int pix = 0; pix < n; pix++)
        {
            double depth = 0;
            foreach (var c in contributions[pix])
            {
                // A Gaussian with a second label gives it the share 1 − q of its weight.
                ushort second = map.SecondLabels?[c.Gaussian] ?? Labels.Ignore;
                double q = second == Labels.Ignore ? 1 : map.FirstLabelShares![c.Gaussian];
                image.LabelWeights[pix * k + c.Label] += q * c.Weight;
                if (second != Labels.Ignore)
                    image.LabelWeights[pix * k + second] += (1 - q) * c.Weight;
                image.Alpha[pix] += c.Weight;
                depth += c.Weight * c.Depth;
            }
            image.Depth[pix] = image.Alpha[pix] > 0 ? depth / image.Alpha[pix] : double.NaN;
        }
        return image;
    }

    /// <summary>Every pixel's contributing Gaussians (map indices) with their weights w_i, front to back.</summary>
    public static List<Contribution>[] PixelWeights(GaussianMap map, Se3 camFromMap, PinholeCamera cam, RenderSettings s)
    {
        var projected = new List<Projected>();
        var w = camFromMap.Rotation.Matrix;
        for (int i = 0; i < map.Count; i++)
        {
            var mu = new Vector3d(map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2]);
            var p = camFromMap.Apply(mu);
            if (p.Z < s.NearPlane || p.Z > s.FarPlane)
                continue;
            var q = new Quaterniond(map.Rotations[4 * i], map.Rotations[4 * i + 1], map.Rotations[4 * i + 2], map.Rotations[4 * i + 3]);
            var r = q.ToMatrix();
            var scale = Matrix3d.Diagonal(Math.Exp(map.LogScales[3 * i]), Math.Exp(map.LogScales[3 * i + 1]), Math.Exp(map.LogScales[3 * i + 2]));
            var sigmaWorld = r * scale * scale.Transpose() * r.Transpose();
            var sigmaCam = w * sigmaWorld * w.Transpose();
            double limXNeg = (cam.Cx + 0.5) / cam.Fx + 0.15 * cam.Width / cam.Fx;
            double limXPos = (cam.Width - 0.5 - cam.Cx) / cam.Fx + 0.15 * cam.Width / cam.Fx;
            double limYNeg = (cam.Cy + 0.5) / cam.Fy + 0.15 * cam.Height / cam.Fy;
            double limYPos = (cam.Height - 0.5 - cam.Cy) / cam.Fy + 0.15 * cam.Height / cam.Fy;
            double u = Math.Clamp(p.X / p.Z, -limXNeg, limXPos), v = Math.Clamp(p.Y / p.Z, -limYNeg, limYPos);
            // J is 2x3; embed as the top rows of a 3x3 to reuse Matrix3d.
            var j = new Matrix3d(cam.Fx / p.Z, 0, -cam.Fx * u / p.Z, 0, cam.Fy / p.Z, -cam.Fy * v / p.Z, 0, 0, 0);
            var s2 = j * sigmaCam * j.Transpose();
            double s00 = s2.M00 + s.LowPassVariance, s01 = s2.M01, s11 = s2.M11 + s.LowPassVariance;
            double det = s00 * s11 - s01 * s01;
            double opacity = 1 / (1 + Math.Exp(-map.OpacityLogits[i]));
            projected.Add(new Projected(i, p.Z, cam.Fx * p.X / p.Z + cam.Cx, cam.Fy * p.Y / p.Z + cam.Cy, s11 / det, -s01 / det, s00 / det, opacity, map.Labels[i]));
        }
        var sorted = projected.OrderBy(g => g.Depth).ToList();
        var result = new List<Contribution>[cam.Width * cam.Height];
        double qMax = s.SupportSigmas * s.SupportSigmas, cut = Math.Exp(-0.5 * qMax);
        for (int y = 0; y < cam.Height; y++)
        {
            for (int x = 0; x < cam.Width; x++)
            {
                var list = result[y * cam.Width + x] = [];
                double trans = 1;
                foreach (var g in sorted)
                {
                    double dx = x - g.MeanX, dy = y - g.MeanY;
                    double q = g.A * dx * dx + 2 * g.B * dx * dy + g.C * dy * dy;
                    if (q >= qMax)
                        continue;
                    double alpha = Math.Min(s.MaxAlpha, g.Opacity * (Math.Exp(-0.5 * q) - cut) / (1 - cut));
                    if (alpha <= 0)
                        continue;
                    list.Add(new Contribution(g.Index, alpha * trans, g.Depth, g.Label));
                    trans *= 1 - alpha;
                    if (trans < s.MinTransmittance)
                        break;
                }
            }
        }
        return result;
    }

    /// <summary>Per-pixel loss −Σ h log((A_k + ε)/(A + Kε)) from a reference image; NaN where the query has no label.</summary>
    public static double[] PixelLosses(Image image, LabelDistributionImage query, double epsilon)
    {
        var losses = new double[image.Width * image.Height];
        for (int p = 0; p < losses.Length; p++)
        {
            var labels = query.LabelsAt(p);
            if (labels.Length == 0)
            {
                losses[p] = double.NaN;
                continue;
            }
            var h = query.WeightsAt(p);
            double l = 0;
            for (int i = 0; i < labels.Length; i++)
                l -= h[i] * Math.Log((image.LabelWeights[p * image.LabelCount + labels[i]] + epsilon) / (image.Alpha[p] + image.LabelCount * epsilon));
            losses[p] = l;
        }
        return losses;
    }
}
