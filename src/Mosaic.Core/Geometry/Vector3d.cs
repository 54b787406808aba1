namespace Mosaic.Core.Geometry;

/// <summary>A 3-vector of doubles: points, translations and rotation vectors.</summary>
public readonly record struct Vector3d(double X, double Y, double Z)
{
    /// <summary>The zero vector.</summary>
    public static Vector3d Zero => default;

    /// <summary>Component <paramref name="i"/> (0 = X, 1 = Y, 2 = Z).</summary>
    public double this[int i] => i switch
    {
        0 => X,
        1 => Y,
        2 => Z,
        _ => throw new ArgumentOutOfRangeException(nameof(i)),
    };

    /// <summary>Euclidean length.</summary>
    public double Norm => Math.Sqrt(X * X + Y * Y + Z * Z);

    /// <summary>Squared Euclidean length.</summary>
    public double SquaredNorm => X * X + Y * Y + Z * Z;

    /// <summary>Dot product.</summary>
    public static double Dot(Vector3d a, Vector3d b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;

    /// <summary>Cross product a × b.</summary>
    public static Vector3d Cross(Vector3d a, Vector3d b) =>
        new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);

    /// <summary>This vector scaled to unit length.</summary>
    public Vector3d Normalized() => this / Norm;

#pragma warning disable CS1591 // operators are self-describing
    public static Vector3d operator +(Vector3d a, Vector3d b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static Vector3d operator -(Vector3d a, Vector3d b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    public static Vector3d operator -(Vector3d a) => new(-a.X, -a.Y, -a.Z);
    public static Vector3d operator *(double s, Vector3d a) => new(s * a.X, s * a.Y, s * a.Z);
    public static Vector3d operator *(Vector3d a, double s) => new(s * a.X, s * a.Y, s * a.Z);
    public static Vector3d operator /(Vector3d a, double s) => new(a.X / s, a.Y / s, a.Z / s);
#pragma warning restore CS1591

    /// <inheritdoc />
    public override string ToString() => $"({X:G6}, {Y:G6}, {Z:G6})";
}
