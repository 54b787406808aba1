namespace Mosaic.Core.Geometry;

/// <summary>A row-major 3×3 matrix of doubles.</summary>
public readonly record struct Matrix3d(
    double M00, double M01, double M02,
    double M10, double M11, double M12,
    double M20, double M21, double M22)
{
    /// <summary>The identity matrix.</summary>
    public static Matrix3d Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    /// <summary>Element at row <paramref name="r"/>, column <paramref name="c"/>.</summary>
    public double this[int r, int c] => (r * 3 + c) switch
    {
        0 => M00, 1 => M01, 2 => M02,
        3 => M10, 4 => M11, 5 => M12,
        6 => M20, 7 => M21, 8 => M22,
        _ => throw new ArgumentOutOfRangeException(nameof(r)),
    };

    /// <summary>Builds a matrix from its three columns.</summary>
    public static Matrix3d FromColumns(Vector3d c0, Vector3d c1, Vector3d c2) =>
        new(c0.X, c1.X, c2.X, c0.Y, c1.Y, c2.Y, c0.Z, c1.Z, c2.Z);

    /// <summary>The skew-symmetric matrix [v]× with [v]× w = v × w.</summary>
    public static Matrix3d Skew(Vector3d v) => new(0, -v.Z, v.Y, v.Z, 0, -v.X, -v.Y, v.X, 0);

    /// <summary>A diagonal matrix.</summary>
    public static Matrix3d Diagonal(double a, double b, double c) => new(a, 0, 0, 0, b, 0, 0, 0, c);

    /// <summary>Column <paramref name="c"/>.</summary>
    public Vector3d Column(int c) => new(this[0, c], this[1, c], this[2, c]);

    /// <summary>The transpose.</summary>
    public Matrix3d Transpose() => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    /// <summary>The trace.</summary>
    public double Trace => M00 + M11 + M22;

    /// <summary>The determinant.</summary>
    public double Determinant =>
        M00 * (M11 * M22 - M12 * M21) - M01 * (M10 * M22 - M12 * M20) + M02 * (M10 * M21 - M11 * M20);

    /// <summary>Largest absolute element-wise difference to <paramref name="other"/>.</summary>
    public double MaxAbsDifference(Matrix3d other)
    {
        double m = 0;
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                m = Math.Max(m, Math.Abs(this[r, c] - other[r, c]));
        return m;
    }

#pragma warning disable CS1591 // operators are self-describing
    public static Vector3d operator *(Matrix3d m, Vector3d v) => new(
        m.M00 * v.X + m.M01 * v.Y + m.M02 * v.Z,
        m.M10 * v.X + m.M11 * v.Y + m.M12 * v.Z,
        m.M20 * v.X + m.M21 * v.Y + m.M22 * v.Z);

    public static Matrix3d operator *(Matrix3d a, Matrix3d b) => new(
        a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20,
        a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21,
        a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20,
        a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21,
        a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20,
        a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21,
        a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);

    public static Matrix3d operator *(double s, Matrix3d m) => new(
        s * m.M00, s * m.M01, s * m.M02, s * m.M10, s * m.M11, s * m.M12, s * m.M20, s * m.M21, s * m.M22);

    public static Matrix3d operator +(Matrix3d a, Matrix3d b) => new(
        a.M00 + b.M00, a.M01 + b.M01, a.M02 + b.M02,
        a.M10 + b.M10, a.M11 + b.M11, a.M12 + b.M12,
        a.M20 + b.M20, a.M21 + b.M21, a.M22 + b.M22);

    public static Matrix3d operator -(Matrix3d a, Matrix3d b) => a + (-1.0 * b);
#pragma warning restore CS1591
}
