using Mosaic.Core.Imaging;

namespace Mosaic.Core.Cameras;

/// <summary>
/// Resamples raw images of a <see cref="CameraModel"/> into an ideal <see cref="PinholeCamera"/>
/// (for example the undistorted camera at some pyramid level). The lookup table is computed once;
/// each call then costs one pass over the target image.
/// </summary>
public sealed class Undistorter
{
    private readonly float[] _sourceX;
    private readonly float[] _sourceY;

    /// <summary>The camera images are resampled into.</summary>
    public PinholeCamera Target { get; }

    /// <summary>The raw camera images come from.</summary>
    public CameraModel Source { get; }

    /// <summary>Precomputes, for every target pixel centre, where it falls in the raw image.</summary>
    public Undistorter(CameraModel source, PinholeCamera target)
    {
        Source = source;
        Target = target;
        _sourceX = new float[target.Width * target.Height];
        _sourceY = new float[target.Width * target.Height];
        for (int v = 0; v < target.Height; v++)
        {
            for (int u = 0; u < target.Width; u++)
            {
                var ray = target.Unproject(u, v);
                var (su, sv) = source.Project(ray);
                _sourceX[v * target.Width + u] = (float)su;
                _sourceY[v * target.Width + u] = (float)sv;
            }
        }
    }

    /// <summary>
    /// Nearest-neighbour resampling, for label images (labels must never be blended). Target pixels
    /// that fall outside the raw image get <paramref name="fill"/>.
    /// </summary>
    public Image<ushort> ResampleNearest(Image<ushort> raw, ushort fill = Labels.Ignore)
    {
        CheckSize(raw.Width, raw.Height);
        var result = new Image<ushort>(Target.Width, Target.Height);
        for (int i = 0; i < result.Data.Length; i++)
        {
            int x = (int)MathF.Round(_sourceX[i]), y = (int)MathF.Round(_sourceY[i]);
            result.Data[i] = x >= 0 && y >= 0 && x < raw.Width && y < raw.Height ? raw[x, y] : fill;
        }
        return result;
    }

    /// <summary>
    /// Bilinear resampling, for intensity-like images. Target pixels whose 2×2 neighbourhood is not
    /// entirely inside the raw image get <paramref name="fill"/>.
    /// </summary>
    public Image<float> ResampleBilinear(Image<float> raw, float fill = float.NaN)
    {
        CheckSize(raw.Width, raw.Height);
        var result = new Image<float>(Target.Width, Target.Height);
        for (int i = 0; i < result.Data.Length; i++)
        {
            float sx = _sourceX[i], sy = _sourceY[i];
            int x0 = (int)MathF.Floor(sx), y0 = (int)MathF.Floor(sy);
            if (x0 < 0 || y0 < 0 || x0 + 1 >= raw.Width || y0 + 1 >= raw.Height)
            {
                // Exactly on the last row/column is still inside.
                if (x0 >= 0 && y0 >= 0 && x0 < raw.Width && y0 < raw.Height && sx == x0 && sy == y0)
                    result.Data[i] = raw[x0, y0];
                else
                    result.Data[i] = fill;
                continue;
            }
            float fx = sx - x0, fy = sy - y0;
            float top = raw[x0, y0] * (1 - fx) + raw[x0 + 1, y0] * fx;
            float bottom = raw[x0, y0 + 1] * (1 - fx) + raw[x0 + 1, y0 + 1] * fx;
            result.Data[i] = top * (1 - fy) + bottom * fy;
        }
        return result;
    }

    private void CheckSize(int width, int height)
    {
        if (width != Source.Intrinsics.Width || height != Source.Intrinsics.Height)
            throw new ArgumentException(
                $"image is {width}x{height} but the camera model is {Source.Intrinsics.Width}x{Source.Intrinsics.Height}");
    }
}
