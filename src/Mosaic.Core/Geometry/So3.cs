namespace Mosaic.Core.Geometry;

/// <summary>
/// A rotation in 3D, stored as an orthonormal matrix. The tangent (Lie algebra so(3)) is a rotation
/// vector φ = angle · axis; <see cref="Exp"/> and <see cref="Log"/> map between them.
/// </summary>
public readonly record struct So3
{
    /// <summary>The rotation matrix.</summary>
    public Matrix3d Matrix { get; }

    private So3(Matrix3d matrix) => Matrix = matrix;

    /// <summary>The identity rotation.</summary>
    public static So3 Identity => new(Matrix3d.Identity);

    /// <summary>A rotation from a matrix, re-orthonormalised through its quaternion.</summary>
    public static So3 FromMatrix(Matrix3d m)
    {
        if (Math.Abs(m.Determinant - 1) > 1e-3)
            throw new ArgumentException($"not a rotation matrix (determinant {m.Determinant:G6})");
        return new(Quaterniond.FromMatrix(m).ToMatrix());
    }

    /// <summary>A rotation from a quaternion of any non-zero norm.</summary>
    public static So3 FromQuaternion(Quaterniond q) => new(q.ToMatrix());

    /// <summary>The unit quaternion (w ≥ 0) of this rotation.</summary>
    public Quaterniond ToQuaternion() => Quaterniond.FromMatrix(Matrix);

    /// <summary>exp: rotation vector → rotation (Rodrigues, with a series near zero).</summary>
    public static So3 Exp(Vector3d phi)
    {
        double theta2 = phi.SquaredNorm;
        double theta = Math.Sqrt(theta2);
        double a, b;
        if (theta < 1e-4)
        {
            a = 1 - theta2 / 6;
            b = 0.5 - theta2 / 24;
        }
        else
        {
            a = Math.Sin(theta) / theta;
            b = (1 - Math.Cos(theta)) / theta2;
        }
        var k = Matrix3d.Skew(phi);
        return new(Matrix3d.Identity + a * k + b * (k * k));
    }

    /// <summary>log: rotation → rotation vector with angle in [0, π].</summary>
    public Vector3d Log()
    {
        // Through the quaternion: stable at 0 and at π, where the matrix formula is not.
        var q = ToQuaternion();
        var v = new Vector3d(q.X, q.Y, q.Z);
        double s = v.Norm;
        if (s < 1e-10)
            return 2 * v / q.W; // first order: angle ≈ 2 s, w ≈ 1
        double angle = 2 * Math.Atan2(s, q.W);
        return angle / s * v;
    }

    /// <summary>The rotation angle in radians, in [0, π].</summary>
    public double Angle => Log().Norm;

    /// <summary>The inverse rotation.</summary>
    public So3 Inverse() => new(Matrix.Transpose());

#pragma warning disable CS1591 // operators are self-describing
    public static So3 operator *(So3 a, So3 b) => new(a.Matrix * b.Matrix);
    public static Vector3d operator *(So3 r, Vector3d v) => r.Matrix * v;
#pragma warning restore CS1591
}
