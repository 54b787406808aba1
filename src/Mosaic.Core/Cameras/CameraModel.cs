using Mosaic.Core.Geometry;

namespace Mosaic.Core.Cameras;

/// <summary>Lens distortion models, named as in ROS sensor_msgs/CameraInfo.distortion_model.</summary>
public enum DistortionModel
{
    /// <summary>No distortion.</summary>
    None,

    /// <summary>"plumb_bob": Brown-Conrady, D = [k1, k2, p1, p2, k3].</summary>
    PlumbBob,

    /// <summary>"rational_polynomial": D = [k1, k2, p1, p2, k3, k4, k5, k6].</summary>
    RationalPolynomial,

    /// <summary>"equidistant" (OpenCV fisheye): D = [k1, k2, k3, k4].</summary>
    Equidistant,
}

/// <summary>
/// A camera with lens distortion: intrinsics K plus a <see cref="DistortionModel"/> with its
/// coefficients. Maps camera-frame points to raw (distorted) pixels and back.
/// </summary>
public sealed class CameraModel
{
    private readonly double[] _d;

    /// <summary>Image size and K matrix of the raw (distorted) image.</summary>
    public PinholeCamera Intrinsics { get; }

    /// <summary>The distortion model.</summary>
    public DistortionModel Distortion { get; }

    /// <summary>The distortion coefficients in ROS order.</summary>
    public IReadOnlyList<double> Coefficients => _d;

    /// <summary>True when the model does not distort (no model, or every coefficient zero).</summary>
    public bool IsPinhole => _d.All(c => c == 0);

    /// <summary>
    /// The same camera at pyramid level <paramref name="level"/> (see <see cref="PinholeCamera.AtLevel"/>):
    /// distortion acts on normalised coordinates, so the coefficients carry over unchanged.
    /// </summary>
    public CameraModel AtLevel(int level) => new(Intrinsics.AtLevel(level), Distortion, _d);

    /// <summary>Creates a model; the coefficient count must match the model (missing trailing ones are zero).</summary>
    public CameraModel(PinholeCamera intrinsics, DistortionModel distortion, IReadOnlyList<double>? coefficients = null)
    {
        Intrinsics = intrinsics;
        Distortion = distortion;
        int n = distortion switch
        {
            DistortionModel.None => 0,
            DistortionModel.PlumbBob => 5,
            DistortionModel.RationalPolynomial => 8,
            DistortionModel.Equidistant => 4,
            _ => throw new ArgumentOutOfRangeException(nameof(distortion)),
        };
        coefficients ??= [];
        if (coefficients.Count > n && coefficients.Skip(n).Any(c => c != 0))
            throw new ArgumentException($"{distortion} takes {n} distortion coefficients, {coefficients.Count} given");
        if (coefficients.Any(c => !double.IsFinite(c)))
            throw new ArgumentException("distortion coefficients must be finite");
        _d = new double[n];
        for (int i = 0; i < Math.Min(n, coefficients.Count); i++)
            _d[i] = coefficients[i];
    }

    /// <summary>
    /// Builds a model from ROS CameraInfo fields: size, distortion_model string, D and the
    /// row-major 3×3 K. An empty model name with all-zero D means no distortion.
    /// </summary>
    public static CameraModel FromCameraInfo(int width, int height, string distortionModel, IReadOnlyList<double> d, IReadOnlyList<double> k)
    {
        if (k.Count != 9)
            throw new ArgumentException($"CameraInfo K has 9 elements, {k.Count} given");
        var model = distortionModel switch
        {
            "plumb_bob" => DistortionModel.PlumbBob,
            "rational_polynomial" => DistortionModel.RationalPolynomial,
            "equidistant" => DistortionModel.Equidistant,
            "" or "none" when d.All(c => c == 0) => DistortionModel.None,
            _ => throw new ArgumentException($"unsupported distortion_model '{distortionModel}' (supported: plumb_bob, rational_polynomial, equidistant)"),
        };
        return new CameraModel(new PinholeCamera(width, height, k[0], k[4], k[2], k[5]), model, d);
    }

    /// <summary>Distorts normalised image coordinates (x/z, y/z).</summary>
    public (double X, double Y) Distort(double x, double y)
    {
        switch (Distortion)
        {
            case DistortionModel.None:
                return (x, y);
            case DistortionModel.Equidistant:
            {
                double r = Math.Sqrt(x * x + y * y);
                if (r < 1e-12)
                    return (x, y);
                double t = Math.Atan(r), t2 = t * t;
                double td = t * (1 + t2 * (_d[0] + t2 * (_d[1] + t2 * (_d[2] + t2 * _d[3]))));
                return (x * td / r, y * td / r);
            }
            default:
            {
                double k1 = _d[0], k2 = _d[1], p1 = _d[2], p2 = _d[3], k3 = _d[4];
                double r2 = x * x + y * y;
                double radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
                if (Distortion == DistortionModel.RationalPolynomial)
                    radial /= 1 + r2 * (_d[5] + r2 * (_d[6] + r2 * _d[7]));
                return (x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
                        y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y);
            }
        }
    }

    /// <summary>
    /// Inverts <see cref="Distort"/> by Newton's method (to 1e-12 in normalised coordinates), starting
    /// from the distorted point itself. Returns false where the iteration does not converge (points
    /// outside the region where the model is invertible).
    /// </summary>
    public bool TryUndistort(double xd, double yd, out double x, out double y)
    {
        x = xd;
        y = yd;
        if (Distortion == DistortionModel.None)
            return true;
        const double h = 1e-7;
        for (int iter = 0; iter < 50; iter++)
        {
            var (fx, fy) = Distort(x, y);
            double ex = fx - xd, ey = fy - yd;
            if (ex * ex + ey * ey < 1e-26)
                return true;
            var (ax, ay) = Distort(x + h, y);
            var (bx, by) = Distort(x - h, y);
            var (cx, cy) = Distort(x, y + h);
            var (dx, dy) = Distort(x, y - h);
            double j00 = (ax - bx) / (2 * h), j10 = (ay - by) / (2 * h);
            double j01 = (cx - dx) / (2 * h), j11 = (cy - dy) / (2 * h);
            double det = j00 * j11 - j01 * j10;
            if (Math.Abs(det) < 1e-12)
                return false;
            x -= (j11 * ex - j01 * ey) / det;
            y -= (-j10 * ex + j00 * ey) / det;
            if (!double.IsFinite(x) || !double.IsFinite(y))
                return false;
        }
        var (gx, gy) = Distort(x, y);
        return (gx - xd) * (gx - xd) + (gy - yd) * (gy - yd) < 1e-20;
    }

    /// <summary>Raw (distorted) pixel coordinates of a camera-frame point with z &gt; 0.</summary>
    public (double U, double V) Project(Vector3d p)
    {
        var (xd, yd) = Distort(p.X / p.Z, p.Y / p.Z);
        return (Intrinsics.Fx * xd + Intrinsics.Cx, Intrinsics.Fy * yd + Intrinsics.Cy);
    }

    /// <summary>The ray (x, y, 1) whose projection is raw pixel (u, v); false where not invertible.</summary>
    public bool TryUnproject(double u, double v, out Vector3d ray)
    {
        bool ok = TryUndistort((u - Intrinsics.Cx) / Intrinsics.Fx, (v - Intrinsics.Cy) / Intrinsics.Fy, out double x, out double y);
        ray = new Vector3d(x, y, 1);
        return ok;
    }
}
