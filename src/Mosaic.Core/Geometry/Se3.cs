namespace Mosaic.Core.Geometry;

/// <summary>
/// A rigid transform T_a_b (maps points from frame b to frame a): p_a = R p_b + t.
/// </summary>
/// <remarks>
/// <para>Tangent convention, used everywhere in Mosaic: a tangent vector ξ ∈ se(3) is the
/// 6-vector (ρ, φ) — translation part ρ first, rotation vector φ second (<see cref="Tangent"/>).
/// Perturbations and optimiser updates are applied on the LEFT: T ← Exp(ξ) · T. For the renderer's
/// T_cam_map this means the increment is expressed in the camera frame, so a point's camera
/// coordinates p change as dp/dρ = I, dp/dφ = −[p]×.</para>
/// </remarks>
public readonly record struct Se3(So3 Rotation, Vector3d Translation)
{
    /// <summary>The identity transform.</summary>
    public static Se3 Identity => new(So3.Identity, Vector3d.Zero);

    /// <summary>A transform from a unit (or any non-zero) quaternion and a translation.</summary>
    public static Se3 FromQuaternion(Quaterniond q, Vector3d t) => new(So3.FromQuaternion(q), t);

    /// <summary>Applies the transform to a point.</summary>
    public Vector3d Apply(Vector3d p) => Rotation * p + Translation;

    /// <summary>The inverse transform (T_a_b → T_b_a).</summary>
    public Se3 Inverse()
    {
        var rInv = Rotation.Inverse();
        return new(rInv, -(rInv * Translation));
    }

    /// <summary>Composition: (T_a_b * T_b_c) = T_a_c.</summary>
    public static Se3 operator *(Se3 a, Se3 b) =>
        new(a.Rotation * b.Rotation, a.Rotation * b.Translation + a.Translation);

    /// <summary>exp: se(3) → SE(3). ξ = (ρ, φ); translation = V(φ) ρ.</summary>
    public static Se3 Exp(Tangent xi)
    {
        var phi = xi.Rotation;
        double theta2 = phi.SquaredNorm;
        double theta = Math.Sqrt(theta2);
        double b, c;
        if (theta < 1e-4)
        {
            b = 0.5 - theta2 / 24;
            c = 1.0 / 6 - theta2 / 120;
        }
        else
        {
            b = (1 - Math.Cos(theta)) / theta2;
            c = (theta - Math.Sin(theta)) / (theta2 * theta);
        }
        var k = Matrix3d.Skew(phi);
        var v = Matrix3d.Identity + b * k + c * (k * k);
        return new(So3.Exp(phi), v * xi.Translation);
    }

    /// <summary>log: SE(3) → se(3), the inverse of <see cref="Exp"/> for rotation angles below π.</summary>
    public Tangent Log()
    {
        var phi = Rotation.Log();
        double theta2 = phi.SquaredNorm;
        double theta = Math.Sqrt(theta2);
        var k = Matrix3d.Skew(phi);
        double d;
        if (theta < 1e-4)
            d = 1.0 / 12 + theta2 / 720;
        else
            d = (1 - theta * Math.Sin(theta) / (2 * (1 - Math.Cos(theta)))) / theta2;
        var vInv = Matrix3d.Identity - 0.5 * k + d * (k * k);
        return new(vInv * Translation, phi);
    }

    /// <summary>
    /// Translation distance and rotation angle (radians) of the relative transform a⁻¹·b: the usual
    /// pose error when a is the estimate and b the ground truth (or the other way round).
    /// </summary>
    public static (double Translation, double Rotation) Distance(Se3 a, Se3 b)
    {
        var d = a.Inverse() * b;
        return (d.Translation.Norm, d.Rotation.Angle);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var q = Rotation.ToQuaternion();
        return $"t={Translation} q=(w {q.W:F6}, x {q.X:F6}, y {q.Y:F6}, z {q.Z:F6})";
    }
}

/// <summary>
/// An se(3) tangent vector (ρ, φ): translation part first, rotation vector second.
/// See <see cref="Se3"/> for the left-perturbation convention.
/// </summary>
public readonly record struct Tangent(Vector3d Translation, Vector3d Rotation)
{
    /// <summary>From six numbers in the order ρx ρy ρz φx φy φz.</summary>
    public static Tangent FromArray(ReadOnlySpan<double> v)
    {
        if (v.Length != 6)
            throw new ArgumentException("an se(3) tangent has six components", nameof(v));
        return new(new(v[0], v[1], v[2]), new(v[3], v[4], v[5]));
    }

    /// <summary>The six numbers in the order ρx ρy ρz φx φy φz.</summary>
    public double[] ToArray() =>
        [Translation.X, Translation.Y, Translation.Z, Rotation.X, Rotation.Y, Rotation.Z];

#pragma warning disable CS1591 // operators are self-describing
    public static Tangent operator *(double s, Tangent t) => new(s * t.Translation, s * t.Rotation);
#pragma warning restore CS1591
}
