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
    /// The label loss of <paramref name="query"/> (same size as <paramref name="camera"/>) at pose
    /// T_cam_map and, when <paramref name="withGradient"/>, its gradient and normal matrix.
    /// </summary>
    LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient);
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

    /// <summary>Prepares <paramref name="map"/> for rendering with <paramref name="settings"/>.</summary>
    public CpuLabelRenderer(GaussianMap map, RenderSettings? settings = null)
    {
        _settings = settings ?? new RenderSettings();
        _settings.Validate();
        _scene = new SplatScene<T>(map);
        _rasterizer = new LabelRasterizer<T>(_settings, map.LabelCount);
    }

    /// <inheritdoc />
    public int LabelCount => _scene.LabelCount;

    /// <summary>The settings this renderer uses.</summary>
    public RenderSettings Settings => _settings;

    /// <inheritdoc />
    public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera)
    {
        _projection.Project(_scene, camFromMap, camera, _settings, withJacobian: false);
        _bins.Build(_projection);
        return _rasterizer.Render(_projection, _bins, camera, _scene.LabelCount);
    }

    /// <inheritdoc />
    public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient)
    {
        if (query.LabelCount != _scene.LabelCount)
            throw new ArgumentException($"query has {query.LabelCount} labels but the map has {_scene.LabelCount}");
        _projection.Project(_scene, camFromMap, camera, _settings, withGradient);
        _bins.Build(_projection);
        return _rasterizer.Evaluate(_projection, _bins, camera, query, withGradient);
    }
}
