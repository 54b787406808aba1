using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Mapping;

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
        for (int y = 0; y < depth.Height; y++)
        {
            for (int x = 0; x < depth.Width; x++)
            {
                float d = depth[x, y];
                if (!(d > 0) || !depthCamera.TryUnproject(x, y, out var ray) || !(ray.Z > 0))
                    continue;
                var p = targetFromDepth.Apply(ray * (d / ray.Z));
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
        }
        return result;
    }
}
