using System.Numerics;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Rendering;

/// <summary>
/// Renders a privacy map's labels from a camera pose and evaluates the label loss against a query
/// (DESIGN.md §6). One interface for every compute backend.
/// </summary>
/// <remarks>Implementations reuse internal buffers: one instance serves one caller at a time.</remarks>
public interface ILabelRenderer
{
    /// <summary>Number of labels K of the map.</summary>
    int LabelCount { get; }

    /// <summary>Renders A_k, A and depth from pose T_cam_map.</summary>
    RenderedLabels Render(Se3 camFromMap, PinholeCamera camera);

    /// <summary>
    /// The map's hard labels from pose T_cam_map: <see cref="RenderedLabels.HardLabels"/> of
    /// <see cref="Render"/>. Backends may skip the K weights per pixel that <see cref="Render"/> writes.
    /// </summary>
    Image<ushort> RenderHardLabels(Se3 camFromMap, PinholeCamera camera, double minAlpha = RenderedLabels.DefaultMinAlpha)
        => Render(camFromMap, camera).HardLabels(minAlpha);

    /// <summary>
    /// The label loss of <paramref name="query"/> (same size as <paramref name="camera"/>) at pose
    /// T_cam_map and, when <paramref name="withGradient"/>, the gradient and normal matrix of the objective.
    /// </summary>
    /// <param name="camFromMap">The pose T_cam_map.</param>
    /// <param name="camera">The pinhole camera of the query's pyramid level.</param>
    /// <param name="query">The query's label distributions.</param>
    /// <param name="withGradient">Whether to compute the gradient and the normal matrix.</param>
    /// <param name="uncoveredLoss">
    /// Per label k, what the objective charges a pixel with query label k that the map leaves uncovered
    /// (A = 0), in nats; a pixel with a label histogram h is charged Σ_k h(k) u_k, blending linearly in
    /// A to the pixel's loss at A = 1. Null charges log K: the objective is then the loss of DESIGN.md §6
    /// (see <see cref="LossEvaluation.Objective"/>). Without costs, the CPU backend also reports the
    /// per-label terms that let <see cref="LossEvaluation.Recharged"/> charge them afterwards.
    /// </param>
    LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null);

    /// <summary>Whether every evaluation made without uncovered costs carries the per-label uncovered terms, so that it can be <see cref="LossEvaluation.Recharged"/>.</summary>
    bool ReportsUncoveredTerms => false;

    /// <summary>
    /// Another renderer of the same prepared map with buffers of its own, so that a second caller can render
    /// at the same time (it gives the same numbers); null when this backend cannot make one cheaply.
    /// </summary>
    ILabelRenderer? Fork() => null;
}

/// <summary>
/// The managed CPU backend: project, bin, rasterise (<see cref="GaussianProjection{T}"/>,
/// <see cref="TileBins"/>, <see cref="LabelRasterizer{T}"/>), parallel over Gaussians and tiles.
/// </summary>
/// <typeparam name="T">Number type: float for use, double for gradient checks.</typeparam>
public sealed class CpuLabelRenderer<T> : ILabelRenderer where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SplatScene<T> _scene;
    private readonly RenderSettings _settings;
    private readonly GaussianProjection<T> _projection = new();
    private readonly TileBins _bins = new();
    private readonly LabelRasterizer<T> _rasterizer;
    private readonly int _tileSize;

    /// <summary>
    /// Tile edge when the settings leave it open. Small tiles keep each pixel's scan short: on the
    /// real kitchen map 4 beat 8 and 16 at every level from 40×30 to 640×480 (README "Rendering speed").
    /// </summary>
    public const int DefaultTileSize = 4;

    /// <summary>Prepares <paramref name="map"/> for rendering with <paramref name="settings"/>.</summary>
    public CpuLabelRenderer(GaussianMap map, RenderSettings? settings = null)
        : this(new SplatScene<T>(map), settings ?? new RenderSettings())
    {
    }

    private CpuLabelRenderer(SplatScene<T> scene, RenderSettings settings)
    {
        _settings = settings;
        _settings.Validate();
        _scene = scene;
        _tileSize = _settings.TileSize ?? DefaultTileSize;
        _rasterizer = new LabelRasterizer<T>(_settings, _tileSize, scene.LabelCount);
    }

    /// <summary>A renderer over this one's prepared scene (shared, read-only) with buffers of its own.</summary>
    public ILabelRenderer Fork() => new CpuLabelRenderer<T>(_scene, _settings);

    /// <inheritdoc />
    public int LabelCount => _scene.LabelCount;

    /// <summary>The settings this renderer uses.</summary>
    public RenderSettings Settings => _settings;

    /// <inheritdoc />
    public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera)
    {
        _projection.Project(_scene, camFromMap, camera, _settings, _tileSize, withJacobian: false);
        _bins.Build(_projection);
        return _rasterizer.Render(_projection, _bins, camera, _scene.LabelCount);
    }

    /// <inheritdoc />
    public Image<ushort> RenderHardLabels(Se3 camFromMap, PinholeCamera camera, double minAlpha = RenderedLabels.DefaultMinAlpha)
    {
        _projection.Project(_scene, camFromMap, camera, _settings, _tileSize, withJacobian: false);
        _bins.Build(_projection);
        return _rasterizer.RenderHardLabels(_projection, _bins, camera, _scene.LabelCount, minAlpha);
    }

    /// <inheritdoc />
    public bool ReportsUncoveredTerms => true;

    /// <inheritdoc />
    public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null)
    {
        if (query.LabelCount != _scene.LabelCount)
            throw new ArgumentException($"query has {query.LabelCount} labels but the map has {_scene.LabelCount}");
        _projection.Project(_scene, camFromMap, camera, _settings, _tileSize, withGradient);
        _bins.Build(_projection);
        return _rasterizer.Evaluate(_projection, _bins, camera, query, withGradient, uncoveredLoss);
    }

    /// <summary>
    /// LUDVIG uplifting of a label image (same size as <paramref name="camera"/>): for every pixel with
    /// label l ≠ <see cref="Labels.Ignore"/>, adds the pixel's compositing weight w_i to
    /// <paramref name="labelSums"/>[i · K + l] of each Gaussian i that contributes to it. Summing over
    /// views and dividing by Σ_l gives each Gaussian's rendering-weighted label distribution.
    /// <paramref name="labelSums"/> holds N·K sums (N Gaussians of the map) and is added to. The result
    /// does not depend on the number of cores.
    /// </summary>
    public void UpliftLabels(Se3 camFromMap, PinholeCamera camera, Image<ushort> labels, float[] labelSums)
    {
        int k = _scene.LabelCount;
        if (labels.Width != camera.Width || labels.Height != camera.Height)
            throw new ArgumentException($"label image is {labels.Width}x{labels.Height} but the camera is {camera.Width}x{camera.Height}");
        if (labelSums.Length != _scene.Count * k)
            throw new ArgumentException($"labelSums has {labelSums.Length} values, expected {_scene.Count} Gaussians x {k} labels");
        var data = labels.Data;
        _projection.Project(_scene, camFromMap, camera, _settings, _tileSize, withJacobian: false);
        _bins.Build(_projection);
        _rasterizer.Uplift(_projection, _bins, camera, k, labelSums, (int pixel, Span<int> slots, Span<float> values) =>
        {
            ushort l = data[pixel];
            if (l == Labels.Ignore)
                return 0;
            if (l >= k)
                throw new ArgumentException($"pixel {pixel} has label {l}, not below the label count {k}");
            slots[0] = l;
            values[0] = 1;
            return 1;
        });
    }

    /// <summary>
    /// Uplifting of a dense feature image (<paramref name="dims"/> values per pixel, pixel-major; NaN in
    /// the first value marks a pixel without features): adds w_i · f_p to <paramref name="featureSums"/>
    /// [i · dims ..] and w_i to <paramref name="weightSums"/>[i] of each contributing Gaussian i.
    /// </summary>
    public void UpliftFeatures(Se3 camFromMap, PinholeCamera camera, float[] features, int dims, float[] featureSums, float[] weightSums)
    {
        if (dims < 1 || dims >= LabelRasterizer<T>.MaxValuesPerPixel)
            throw new ArgumentOutOfRangeException(nameof(dims), $"feature dimension {dims} must be in [1, {LabelRasterizer<T>.MaxValuesPerPixel - 1}]");
        if (features.Length != camera.Width * camera.Height * dims)
            throw new ArgumentException($"features has {features.Length} values, expected {camera.Width}x{camera.Height}x{dims}");
        if (featureSums.Length != _scene.Count * dims || weightSums.Length != _scene.Count)
            throw new ArgumentException("featureSums / weightSums do not match the map's Gaussian count");
        _projection.Project(_scene, camFromMap, camera, _settings, _tileSize, withJacobian: false);
        _bins.Build(_projection);
        // One extra slot per Gaussian carries the weight sum.
        int width = dims + 1;
        var sums = new float[_scene.Count * width];
        _rasterizer.Uplift(_projection, _bins, camera, width, sums, (int pixel, Span<int> slots, Span<float> values) =>
        {
            var f = features.AsSpan(pixel * dims, dims);
            if (float.IsNaN(f[0]))
                return 0;
            for (int c = 0; c < dims; c++)
            {
                slots[c] = c;
                values[c] = f[c];
            }
            slots[dims] = dims;
            values[dims] = 1;
            return width;
        });
        for (int i = 0; i < _scene.Count; i++)
        {
            for (int c = 0; c < dims; c++)
                featureSums[i * dims + c] += sums[i * width + c];
            weightSums[i] += sums[i * width + dims];
        }
    }

    /// <summary>
    /// Renders per-Gaussian feature vectors (<paramref name="dims"/> per Gaussian, e.g. a colour) with
    /// the same compositing weights as the labels: per pixel Σ_i w_i f_i / A, NaN where A is below
    /// <paramref name="minAlpha"/>. Pixel-major.
    /// </summary>
    public float[] RenderFeatures(Se3 camFromMap, PinholeCamera camera, float[] features, int dims, double minAlpha = 0.5)
    {
        if (dims < 1 || features.Length != _scene.Count * dims)
            throw new ArgumentException($"features has {features.Length} values, expected {_scene.Count} Gaussians x {dims}");
        _projection.Project(_scene, camFromMap, camera, _settings, _tileSize, withJacobian: false);
        _bins.Build(_projection);
        var (result, alpha) = _rasterizer.Composite(_projection, _bins, camera, features, dims);
        for (int p = 0; p < camera.Width * camera.Height; p++)
        {
            float a = alpha[p];
            for (int c = 0; c < dims; c++)
                result[p * dims + c] = a >= minAlpha ? result[p * dims + c] / a : float.NaN;
        }
        return result;
    }
}
