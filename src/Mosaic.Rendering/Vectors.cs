using System.Numerics;
using System.Runtime.CompilerServices;

namespace Mosaic.Rendering;

/// <summary>A 3-vector in the renderer's number type (float in production, double in gradient tests).</summary>
internal readonly struct V3<T>(T x, T y, T z) where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly T X = x, Y = y, Z = z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot(V3<T> a, V3<T> b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3<T> Cross(V3<T> a, V3<T> b) =>
        new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3<T> operator +(V3<T> a, V3<T> b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3<T> operator *(T s, V3<T> v) => new(s * v.X, s * v.Y, s * v.Z);
}

/// <summary>A row-major 3×3 matrix in the renderer's number type.</summary>
internal readonly struct M3<T>(T m00, T m01, T m02, T m10, T m11, T m12, T m20, T m21, T m22)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly T M00 = m00, M01 = m01, M02 = m02, M10 = m10, M11 = m11, M12 = m12, M20 = m20, M21 = m21, M22 = m22;

    /// <summary>A symmetric matrix from its upper triangle xx xy xz yy yz zz.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static M3<T> Symmetric(ReadOnlySpan<T> u) => new(u[0], u[1], u[2], u[1], u[3], u[4], u[2], u[4], u[5]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public M3<T> Transpose() => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V3<T> operator *(M3<T> m, V3<T> v) => new(
        m.M00 * v.X + m.M01 * v.Y + m.M02 * v.Z,
        m.M10 * v.X + m.M11 * v.Y + m.M12 * v.Z,
        m.M20 * v.X + m.M21 * v.Y + m.M22 * v.Z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static M3<T> operator *(M3<T> a, M3<T> b) => new(
        a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20,
        a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21,
        a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20,
        a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21,
        a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20,
        a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21,
        a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);
}
