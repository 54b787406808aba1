namespace Mosaic.Core.Geometry;

/// <summary>
/// A quaternion w + xi + yj + zk. Unit quaternions represent rotations (Hamilton convention,
/// as in ROS geometry_msgs and Eigen). Component order in files is always stated where used.
/// </summary>
public readonly record struct Quaterniond(double W, double X, double Y, double Z)
{
    /// <summary>The identity rotation.</summary>
    public static Quaterniond Identity => new(1, 0, 0, 0);

    /// <summary>Euclidean norm of the four components.</summary>
    public double Norm => Math.Sqrt(W * W + X * X + Y * Y + Z * Z);

    /// <summary>This quaternion scaled to unit norm, with w ≥ 0 (the canonical one of ±q).</summary>
    public Quaterniond Normalized()
    {
        double n = Norm;
        if (!(n > 0) || !double.IsFinite(n))
            throw new ArgumentException("a quaternion with zero or non-finite norm is not a rotation");
        double s = W < 0 ? -1 / n : 1 / n;
        return new Quaterniond(W * s, X * s, Y * s, Z * s);
    }

    /// <summary>Hamilton product.</summary>
    public static Quaterniond operator *(Quaterniond a, Quaterniond b) => new(
        a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z,
        a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
        a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
        a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W);

    /// <summary>The rotation matrix of this quaternion, which need not be unit (it is normalised).</summary>
    public Matrix3d ToMatrix()
    {
        var q = Normalized();
        double w = q.W, x = q.X, y = q.Y, z = q.Z;
        return new Matrix3d(
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y));
    }

    /// <summary>The unit quaternion (w ≥ 0) of a rotation matrix (Shepperd's method).</summary>
    public static Quaterniond FromMatrix(Matrix3d m)
    {
        double trace = m.Trace;
        Quaterniond q;
        if (trace > 0)
        {
            double s = 2 * Math.Sqrt(trace + 1);
            q = new(0.25 * s, (m.M21 - m.M12) / s, (m.M02 - m.M20) / s, (m.M10 - m.M01) / s);
        }
        else if (m.M00 > m.M11 && m.M00 > m.M22)
        {
            double s = 2 * Math.Sqrt(1 + m.M00 - m.M11 - m.M22);
            q = new((m.M21 - m.M12) / s, 0.25 * s, (m.M01 + m.M10) / s, (m.M02 + m.M20) / s);
        }
        else if (m.M11 > m.M22)
        {
            double s = 2 * Math.Sqrt(1 + m.M11 - m.M00 - m.M22);
            q = new((m.M02 - m.M20) / s, (m.M01 + m.M10) / s, 0.25 * s, (m.M12 + m.M21) / s);
        }
        else
        {
            double s = 2 * Math.Sqrt(1 + m.M22 - m.M00 - m.M11);
            q = new((m.M10 - m.M01) / s, (m.M02 + m.M20) / s, (m.M12 + m.M21) / s, 0.25 * s);
        }
        return q.Normalized();
    }
}
