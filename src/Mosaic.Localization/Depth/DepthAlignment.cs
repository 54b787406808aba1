using MathNet.Numerics.LinearAlgebra;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Localization.Depth;

/// <summary>Options of <see cref="DepthAlignment"/>, validated at construction.</summary>
public sealed record DepthAlignmentOptions
{
    /// <summary>Use every n-th depth pixel in x and y.</summary>
    public int PixelStride { get; init; } = 4;

    /// <summary>Depth readings nearer than this (metres) are not used.</summary>
    public double MinDepth { get; init; } = 0.3;

    /// <summary>Depth readings farther than this (metres) are not used.</summary>
    public double MaxDepth { get; init; } = 4.0;

    /// <summary>A point pairs with the nearest Gaussian centre within this distance (metres), or with none.</summary>
    public double MaxDistance { get; init; } = 0.05;

    /// <summary>Point-to-plane residuals beyond this (metres) are down-weighted (Huber), so outliers pull linearly, not quadratically.</summary>
    public double HuberWidth { get; init; } = 0.01;

    /// <summary>Most Gauss-Newton iterations (each re-pairs the points).</summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>
    /// Alignment ends when a step moves the camera less than this (metres) and turns it less than this
    /// (radians). Pairing with discrete centres makes the last steps creep by about 0.1 mm each on real
    /// maps, so a tighter threshold mostly burns iterations.
    /// </summary>
    public double ConvergedStep { get; init; } = 2e-4;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (PixelStride < 1)
            throw new ArgumentException($"pixel_stride {PixelStride} must be at least 1");
        if (!(MinDepth > 0) || !(MaxDepth > MinDepth))
            throw new ArgumentException($"depth range {MinDepth}..{MaxDepth} m: need 0 < min_depth < max_depth");
        if (!(MaxDistance > 0) || !(HuberWidth > 0))
            throw new ArgumentException("max_distance and huber_width must be positive");
        if (MaxIterations < 1)
            throw new ArgumentException($"max_iterations {MaxIterations} must be at least 1");
        if (!(ConvergedStep > 0))
            throw new ArgumentException($"converged_step {ConvergedStep} must be positive");
    }
}

/// <summary>What aligning one frame's depth with the map gave.</summary>
/// <param name="MapFromCamera">The camera pose at which the frame's depth best fits the map's surfaces.</param>
/// <param name="Points">Depth points used.</param>
/// <param name="Support">Share of the points that found a map surface within the pairing distance at the aligned pose.</param>
/// <param name="RmsBefore">RMS point-to-plane distance (metres) of the paired points at the initial pose.</param>
/// <param name="RmsAfter">The same at the aligned pose.</param>
/// <param name="Conditioning">
/// Smallest over largest eigenvalue of the normal matrix at the aligned pose, with rotations scaled by
/// the points' mean depth: near 0 when the surfaces seen leave a direction unconstrained (one flat wall).
/// </param>
/// <param name="Iterations">Gauss-Newton iterations run.</param>
/// <param name="Converged">Whether a step fell below the convergence threshold before the iteration limit.</param>
public sealed record DepthAlignmentResult(Se3 MapFromCamera, int Points, double Support, double RmsBefore, double RmsAfter, double Conditioning, int Iterations, bool Converged)
{
    /// <summary>
    /// Whether the aligned pose can be trusted: converged, with at least <paramref name="minSupport"/> of
    /// the points on the map's surfaces and every direction constrained (<see cref="Conditioning"/> at
    /// least <paramref name="minConditioning"/>). The rule of both the pose check and depth refinement.
    /// </summary>
    public bool Trustworthy(double minSupport, double minConditioning) => Converged && Support >= minSupport && Conditioning >= minConditioning;
}

/// <summary>
/// Aligns a camera's depth readings with a map's surfaces: point-to-plane ICP against the Gaussians'
/// centres, each Gaussian's plane being the one its two largest axes span. Uses only geometry, never
/// labels, so it can check a pose source independently of the localizer: where a ground-truth pose is
/// right, the aligned pose stays on it. Plain algorithm: no I/O.
/// </summary>
public sealed class DepthAlignment
{
    private readonly DepthAlignmentOptions _options;
    private readonly CentreGrid _grid;
    private readonly Vector3d[] _normals;

    /// <summary>Indexes <paramref name="map"/>'s Gaussians for pairing.</summary>
    public DepthAlignment(GaussianMap map, DepthAlignmentOptions? options = null)
    {
        _options = options ?? new DepthAlignmentOptions();
        _options.Validate();
        _grid = new CentreGrid(map, _options.MaxDistance);
        _normals = new Vector3d[map.Count];
        for (int i = 0; i < map.Count; i++)
        {
            var rotation = new Quaterniond(map.Rotations[4 * i], map.Rotations[4 * i + 1], map.Rotations[4 * i + 2], map.Rotations[4 * i + 3]).Normalized().ToMatrix();
            int thinnest = 0;
            for (int axis = 1; axis < 3; axis++)
                if (map.LogScales[3 * i + axis] < map.LogScales[3 * i + thinnest])
                    thinnest = axis;
            _normals[i] = rotation.Column(thinnest);
        }
    }

    /// <summary>
    /// The points of <paramref name="depth"/> this alignment uses, in the colour camera
    /// (<see cref="DepthRegistration.Points"/> with the options' stride and depth range).
    /// </summary>
    public IReadOnlyList<Vector3d> Points(Image<float> depth, CameraModel depthCamera, Se3 colorFromDepth) =>
        DepthRegistration.Points(depth, depthCamera, colorFromDepth, _options.PixelStride, _options.MinDepth, _options.MaxDepth).ToList();

    /// <summary>
    /// Moves <paramref name="initialMapFromCamera"/> until <paramref name="pointsInCamera"/> (camera
    /// frame) lie on the map's surfaces. Steps are left perturbations in the map frame.
    /// </summary>
    public DepthAlignmentResult Align(IReadOnlyList<Vector3d> pointsInCamera, Se3 initialMapFromCamera)
    {
        var pose = initialMapFromCamera;
        var last = Linearise(pointsInCamera, pose);
        double rmsBefore = last.Rms;
        int iteration = 0;
        bool converged = false;
        while (iteration < _options.MaxIterations && last.Paired >= 6)
        {
            iteration++;
            // A tiny ridge keeps directions the surfaces leave unconstrained still instead of singular.
            var damped = last.Normal + Matrix<double>.Build.DenseIdentity(6) * (1e-9 * last.Normal.Diagonal().Maximum() + 1e-12);
            var step = damped.Solve(-last.Gradient);
            if (step.Any(v => !double.IsFinite(v)))
                break;
            var tangent = Tangent.FromArray(step.ToArray());
            pose = Se3.Exp(tangent) * pose;
            last = Linearise(pointsInCamera, pose);
            if (tangent.Translation.Norm < _options.ConvergedStep && tangent.Rotation.Norm < _options.ConvergedStep)
            {
                converged = true;
                break;
            }
        }
        double support = pointsInCamera.Count == 0 ? 0 : (double)last.Paired / pointsInCamera.Count;
        return new DepthAlignmentResult(pose, pointsInCamera.Count, support, rmsBefore, last.Rms, Conditioning(last.Normal, last.MeanDepth), iteration, converged);
    }

    private sealed record Linearisation(Matrix<double> Normal, Vector<double> Gradient, int Paired, double Rms, double MeanDepth);

    /// <summary>Points per chunk of <see cref="Linearise"/>: chunks run in parallel and are summed in order, so the result does not depend on the core count.</summary>
    private const int ChunkSize = 1024;

    /// <summary>Per chunk: the normal matrix's upper triangle (21), the gradient (6), Σr², Σz and the paired count.</summary>
    private const int SumCount = 30;

    /// <summary>The Huber-weighted Gauss-Newton system of the point-to-plane residuals at <paramref name="pose"/>.</summary>
    private Linearisation Linearise(IReadOnlyList<Vector3d> points, Se3 pose)
    {
        int chunks = (points.Count + ChunkSize - 1) / ChunkSize;
        var sums = new double[chunks * SumCount];
        Parallel.For(0, chunks, chunk =>
        {
            var sum = sums.AsSpan(chunk * SumCount, SumCount);
            Span<double> j = stackalloc double[6];
            for (int p = chunk * ChunkSize, end = Math.Min(points.Count, p + ChunkSize); p < end; p++)
            {
                var point = points[p];
                var q = pose.Apply(point);
                int nearest = _grid.Nearest(q);
                if (nearest < 0)
                    continue;
                var n = _normals[nearest];
                double r = Vector3d.Dot(n, q - _grid.Centre(nearest));
                // d r / d(ρ, φ) for q' = exp(φ×) q + ρ: (n, q × n).
                var qn = Vector3d.Cross(q, n);
                (j[0], j[1], j[2], j[3], j[4], j[5]) = (n.X, n.Y, n.Z, qn.X, qn.Y, qn.Z);
                double w = Math.Abs(r) <= _options.HuberWidth ? 1 : _options.HuberWidth / Math.Abs(r);
                for (int a = 0, entry = 0; a < 6; a++)
                {
                    sum[21 + a] += w * j[a] * r;
                    for (int b = a; b < 6; b++)
                        sum[entry++] += w * j[a] * j[b];
                }
                sum[27] += r * r;
                sum[28] += point.Z;
                sum[29]++;
            }
        });
        var total = new double[SumCount];
        for (int chunk = 0; chunk < chunks; chunk++)
            for (int i = 0; i < SumCount; i++)
                total[i] += sums[chunk * SumCount + i];
        var normal = Matrix<double>.Build.Dense(6, 6);
        for (int a = 0, entry = 0; a < 6; a++)
            for (int b = a; b < 6; b++)
                normal[a, b] = normal[b, a] = total[entry++];
        var gradient = Vector<double>.Build.Dense(total[21..27]);
        int paired = (int)total[29];
        return new Linearisation(normal, gradient, paired, paired == 0 ? double.NaN : Math.Sqrt(total[27] / paired), paired == 0 ? 1 : total[28] / paired);
    }

    /// <summary>Eigenvalue ratio of the normal matrix with its rotation block expressed as motion at the mean depth.</summary>
    private static double Conditioning(Matrix<double> normal, double meanDepth)
    {
        var scale = Matrix<double>.Build.DenseDiagonal(6, 6, i => i < 3 ? 1 : 1 / meanDepth);
        var eigenvalues = (scale * normal * scale).Evd().EigenValues.Select(e => e.Real).ToArray();
        double largest = eigenvalues.Max();
        return largest > 0 ? Math.Max(0, eigenvalues.Min()) / largest : 0;
    }
}
