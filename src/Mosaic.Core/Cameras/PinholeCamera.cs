using Mosaic.Core.Geometry;

namespace Mosaic.Core.Cameras;

/// <summary>
/// An ideal pinhole camera in the optical frame (x right, y down, z forward). Pixel (i, j) has its
/// centre at coordinates (i, j), as in ROS CameraInfo and OpenCV.
/// </summary>
public sealed record PinholeCamera
{
    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Focal length along x, in pixels.</summary>
    public double Fx { get; }

    /// <summary>Focal length along y, in pixels.</summary>
    public double Fy { get; }

    /// <summary>Principal point x, in pixels.</summary>
    public double Cx { get; }

    /// <summary>Principal point y, in pixels.</summary>
    public double Cy { get; }

    /// <summary>Creates a camera; sizes and focal lengths must be positive.</summary>
    public PinholeCamera(int width, int height, double fx, double fy, double cx, double cy)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"camera size {width}x{height} must be positive");
        if (!(fx > 0) || !(fy > 0) || !double.IsFinite(fx) || !double.IsFinite(fy))
            throw new ArgumentOutOfRangeException(nameof(fx), $"focal lengths fx={fx}, fy={fy} must be positive and finite");
        if (!double.IsFinite(cx) || !double.IsFinite(cy))
            throw new ArgumentOutOfRangeException(nameof(cx), "principal point must be finite");
        (Width, Height, Fx, Fy, Cx, Cy) = (width, height, fx, fy, cx, cy);
    }

    /// <summary>Pixel coordinates of a point in the camera frame (z must be positive).</summary>
    public (double U, double V) Project(Vector3d p) => (Fx * p.X / p.Z + Cx, Fy * p.Y / p.Z + Cy);

    /// <summary>The ray (x, y, 1) through pixel coordinates (u, v).</summary>
    public Vector3d Unproject(double u, double v) => new((u - Cx) / Fx, (v - Cy) / Fy, 1);

    /// <summary>
    /// The camera of pyramid level <paramref name="level"/>: each level halves the resolution
    /// (size rounded down) with pixel centres kept consistent: c' = (c + 0.5) / 2 − 0.5.
    /// </summary>
    public PinholeCamera AtLevel(int level)
    {
        if (level < 0)
            throw new ArgumentOutOfRangeException(nameof(level), "pyramid level must be non-negative");
        if (level == 0)
            return this;
        double s = 1.0 / (1 << level);
        int w = Width >> level, h = Height >> level;
        if (w == 0 || h == 0)
            throw new ArgumentOutOfRangeException(nameof(level), $"level {level} of a {Width}x{Height} image is empty");
        return new PinholeCamera(w, h, Fx * s, Fy * s, (Cx + 0.5) * s - 0.5, (Cy + 0.5) * s - 0.5);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Width}x{Height} fx={Fx:G6} fy={Fy:G6} cx={Cx:G6} cy={Cy:G6}";
}
