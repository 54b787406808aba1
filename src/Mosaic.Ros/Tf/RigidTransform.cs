using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Tf;

/// <summary>
/// A rigid transform T_a_b (maps points in frame b to frame a; equivalently the pose of b in a),
/// stored as a unit quaternion and a translation. Mosaic.Ros depends on no other Mosaic project, so it
/// carries this small type for TF rather than Mosaic.Core's SE(3).
/// </summary>
public readonly record struct RigidTransform(Quaternion Rotation, Vector3 Translation)
{
    /// <summary>The identity.</summary>
    public static RigidTransform Identity => new(Quaternion.Identity, new Vector3(0, 0, 0));

    /// <summary>From a geometry_msgs/Transform (the rotation is normalized).</summary>
    public static RigidTransform From(Transform t) => new(Normalize(t.Rotation), t.Translation);

    /// <summary>As a geometry_msgs/Transform.</summary>
    public Transform ToMessage() => new(Translation, Rotation);

    /// <summary>this * other: T_a_c = T_a_b * T_b_c.</summary>
    public RigidTransform Compose(RigidTransform other) => new(Normalize(Multiply(Rotation, other.Rotation)), Add(Rotate(Rotation, other.Translation), Translation));

    /// <summary>T_b_a from T_a_b.</summary>
    public RigidTransform Inverse()
    {
        var conjugate = new Quaternion(-Rotation.X, -Rotation.Y, -Rotation.Z, Rotation.W);
        var t = Rotate(conjugate, Translation);
        return new RigidTransform(conjugate, new Vector3(-t.X, -t.Y, -t.Z));
    }

    /// <summary>Interpolates: translation linearly, rotation by slerp; <paramref name="s"/> in [0, 1].</summary>
    public static RigidTransform Interpolate(RigidTransform a, RigidTransform b, double s)
    {
        var t = new Vector3(
            a.Translation.X + s * (b.Translation.X - a.Translation.X),
            a.Translation.Y + s * (b.Translation.Y - a.Translation.Y),
            a.Translation.Z + s * (b.Translation.Z - a.Translation.Z));
        return new RigidTransform(Slerp(a.Rotation, b.Rotation, s), t);
    }

    private static Quaternion Slerp(Quaternion a, Quaternion b, double s)
    {
        double dot = a.X * b.X + a.Y * b.Y + a.Z * b.Z + a.W * b.W;
        if (dot < 0)
        {
            b = new Quaternion(-b.X, -b.Y, -b.Z, -b.W);
            dot = -dot;
        }
        double wa, wb;
        if (dot > 0.9995)
        {
            wa = 1 - s;
            wb = s;
        }
        else
        {
            double theta = Math.Acos(dot);
            double sin = Math.Sin(theta);
            wa = Math.Sin((1 - s) * theta) / sin;
            wb = Math.Sin(s * theta) / sin;
        }
        return Normalize(new Quaternion(wa * a.X + wb * b.X, wa * a.Y + wb * b.Y, wa * a.Z + wb * b.Z, wa * a.W + wb * b.W));
    }

    private static Quaternion Multiply(Quaternion a, Quaternion b) => new(
        a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
        a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
        a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W,
        a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z);

    private static Vector3 Rotate(Quaternion q, Vector3 v)
    {
        // v' = v + 2w(u x v) + 2 u x (u x v), u = (x, y, z)
        double cx = q.Y * v.Z - q.Z * v.Y, cy = q.Z * v.X - q.X * v.Z, cz = q.X * v.Y - q.Y * v.X;
        double ccx = q.Y * cz - q.Z * cy, ccy = q.Z * cx - q.X * cz, ccz = q.X * cy - q.Y * cx;
        return new Vector3(v.X + 2 * (q.W * cx + ccx), v.Y + 2 * (q.W * cy + ccy), v.Z + 2 * (q.W * cz + ccz));
    }

    private static Vector3 Add(Vector3 a, Vector3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    private static Quaternion Normalize(Quaternion q)
    {
        double n = Math.Sqrt(q.X * q.X + q.Y * q.Y + q.Z * q.Z + q.W * q.W);
        if (!(n > 1e-12) || !double.IsFinite(n))
        {
            throw new ArgumentException("transform has a zero or non-finite rotation quaternion");
        }
        return new Quaternion(q.X / n, q.Y / n, q.Z / n, q.W / n);
    }
}
