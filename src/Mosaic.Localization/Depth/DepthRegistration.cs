using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Localization.Depth;

/// <summary>Depth images moved into another camera's pixels (the colour camera's, usually).</summary>
public static class DepthRegistration
{
    /// <summary>
    /// The depth image re-projected into <paramref name="target"/>: per target pixel the z (m, in the
    /// target frame) of the nearest depth point landing in it; NaN where none does. Pixel centres are at
    /// integer coordinates, as in <see cref="CameraModel.Project"/>.
    /// </summary>
    public static float[] Register(Image<float> depth, CameraModel depthCamera, Se3 targetFromDepth, CameraModel target)
    {
        int width = target.Intrinsics.Width, height = target.Intrinsics.Height;
        var result = new float[width * height];
        Array.Fill(result, float.NaN);
        foreach (var p in Points(depth, depthCamera, targetFromDepth))
        {
            if (!(p.Z > 0))
                continue;
            var (u, v) = target.Project(p);
            int iu = (int)Math.Round(u), iv = (int)Math.Round(v);
            if (iu < 0 || iv < 0 || iu >= width || iv >= height)
                continue;
            ref float slot = ref result[iv * width + iu];
            if (float.IsNaN(slot) || p.Z < slot)
                slot = (float)p.Z;
        }
        return result;
    }

    /// <summary>
    /// The depth image's points in the target frame: every <paramref name="stride"/>-th pixel in x and y
    /// whose depth d (m; 0 or NaN where invalid) is positive and in [<paramref name="minDepth"/>,
    /// <paramref name="maxDepth"/>], unprojected through <paramref name="depthCamera"/> (with its
    /// distortion) and moved by <paramref name="targetFromDepth"/>.
    /// </summary>
    public static IEnumerable<Vector3d> Points(Image<float> depth, CameraModel depthCamera, Se3 targetFromDepth, int stride = 1,
        double minDepth = 0, double maxDepth = double.PositiveInfinity)
    {
        if (depth.Width != depthCamera.Intrinsics.Width || depth.Height != depthCamera.Intrinsics.Height)
            throw new ArgumentException($"depth image is {depth.Width}x{depth.Height} but its camera is {depthCamera.Intrinsics.Width}x{depthCamera.Intrinsics.Height}");
        if (stride < 1)
            throw new ArgumentOutOfRangeException(nameof(stride), $"stride {stride} must be at least 1");
        return Enumerate();

        IEnumerable<Vector3d> Enumerate()
        {
            for (int y = 0; y < depth.Height; y += stride)
            {
                for (int x = 0; x < depth.Width; x += stride)
                {
                    float d = depth[x, y];
                    if (!(d > 0 && d >= minDepth && d <= maxDepth) || !depthCamera.TryUnproject(x, y, out var ray) || !(ray.Z > 0))
                        continue;
                    yield return targetFromDepth.Apply(ray * (d / ray.Z));
                }
            }
        }
    }
}
