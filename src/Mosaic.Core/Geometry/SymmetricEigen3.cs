namespace Mosaic.Core.Geometry;

/// <summary>
/// Eigen decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations: A = V diag(λ) Vᵀ with
/// V a proper rotation (det +1) and λ ascending. Accurate to round-off for the small, well-scaled
/// covariances of depth fusion.
/// </summary>
public static class SymmetricEigen3
{
    /// <summary>Decomposes the symmetric matrix given by its upper triangle (xx xy xz yy yz zz).</summary>
    public static (Vector3d Values, Matrix3d Vectors) Decompose(double xx, double xy, double xz, double yy, double yz, double zz)
    {
        Span<double> a = [xx, xy, xz, xy, yy, yz, xz, yz, zz];
        Span<double> v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        double scale = Math.Abs(xx) + Math.Abs(yy) + Math.Abs(zz) + Math.Abs(xy) + Math.Abs(xz) + Math.Abs(yz);
        for (int sweep = 0; sweep < 50 && scale > 0; sweep++)
        {
            double off = Math.Abs(a[1]) + Math.Abs(a[2]) + Math.Abs(a[5]);
            if (off <= 1e-15 * scale)
                break;
            for (int p = 0; p < 2; p++)
                for (int q = p + 1; q < 3; q++)
                    Rotate(a, v, p, q);
        }
        Span<int> order = [0, 1, 2];
        Span<double> values = [a[0], a[4], a[8]];
        // Insertion sort of three indices by eigenvalue.
        for (int i = 1; i < 3; i++)
            for (int j = i; j > 0 && values[order[j]] < values[order[j - 1]]; j--)
                (order[j], order[j - 1]) = (order[j - 1], order[j]);
        var c0 = new Vector3d(v[order[0]], v[3 + order[0]], v[6 + order[0]]);
        var c1 = new Vector3d(v[order[1]], v[3 + order[1]], v[6 + order[1]]);
        var c2 = Vector3d.Cross(c0, c1); // keeps det(V) = +1
        return (new Vector3d(values[order[0]], values[order[1]], values[order[2]]), Matrix3d.FromColumns(c0, c1, c2));
    }

    private static void Rotate(Span<double> a, Span<double> v, int p, int q)
    {
        double apq = a[3 * p + q];
        if (apq == 0)
            return;
        double theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
        double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (theta == 0)
            t = 1;
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; k++)
        {
            double akp = a[3 * k + p], akq = a[3 * k + q];
            a[3 * k + p] = c * akp - s * akq;
            a[3 * k + q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; k++)
        {
            double apk = a[3 * p + k], aqk = a[3 * q + k];
            a[3 * p + k] = c * apk - s * aqk;
            a[3 * q + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 3; k++)
        {
            double vkp = v[3 * k + p], vkq = v[3 * k + q];
            v[3 * k + p] = c * vkp - s * vkq;
            v[3 * k + q] = s * vkp + c * vkq;
        }
    }
}
