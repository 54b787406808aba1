using Mosaic.Core.Maps;

namespace Mosaic.Rendering.Cuda;

/// <summary>Which backend renders and refines (<c>compute.backend</c>).</summary>
public enum ComputeBackend
{
    /// <summary>CUDA when it initialises, otherwise the CPU backend with the reason logged.</summary>
    Auto,

    /// <summary>The managed CPU backend.</summary>
    Cpu,

    /// <summary>CUDA or an error.</summary>
    Cuda,
}

/// <summary>A renderer for a map on the chosen backend, and what was chosen.</summary>
/// <param name="Renderer">The renderer; dispose it when it is <see cref="IDisposable"/>.</param>
/// <param name="Description">The backend in words, e.g. "cpu" or "cuda (NVIDIA H100 …)".</param>
/// <param name="FallbackReason">Why <see cref="ComputeBackend.Auto"/> fell back to the CPU, or null.</param>
public sealed record ComputeRenderer(ILabelRenderer Renderer, string Description, string? FallbackReason);

/// <summary>Creates the renderer <c>compute.backend</c> asks for.</summary>
public static class ComputeBackends
{
    /// <summary>Parses a <c>compute.backend</c> value (auto, cpu, cuda; case-insensitive); null when it is none of them.</summary>
    public static ComputeBackend? Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "auto" => ComputeBackend.Auto,
        "cpu" => ComputeBackend.Cpu,
        "cuda" => ComputeBackend.Cuda,
        _ => null,
    };

    /// <summary>The renderer for the <c>compute.backend</c> and <c>compute.device</c> parameters.</summary>
    /// <exception cref="ArgumentException"><paramref name="backend"/> is not auto, cpu or cuda.</exception>
    public static ComputeRenderer Create(GaussianMap map, string backend, int device, RenderSettings? settings = null) =>
        Create(map, Parse(backend) ?? throw new ArgumentException($"compute.backend '{backend}' must be auto, cpu or cuda"), settings, new CudaOptions { Device = device });

    /// <summary>
    /// A renderer of <paramref name="map"/> coarsened to cubes of <paramref name="voxel"/> metres, on the
    /// backend <paramref name="chosen"/> runs on, for the localizer's coarse pyramid levels
    /// (<c>localizer.coarse_map_voxel</c>); null for the CPU backend, whose localizer makes its own, and
    /// when <paramref name="voxel"/> is 0 (every level on the full map). The caller disposes it.
    /// </summary>
    public static CudaLabelRenderer? CreateCoarse(ComputeRenderer chosen, GaussianMap map, double voxel, int device, RenderSettings? settings = null) =>
        chosen.Renderer is CudaLabelRenderer && voxel > 0
            ? CudaLabelRenderer.Create(map.Coarsened(voxel), settings, new CudaOptions { Device = device })
            : null;

    /// <summary>
    /// A renderer of <paramref name="map"/> with every Gaussian narrowed by <paramref name="scale"/>, on the
    /// backend <paramref name="chosen"/> runs on, for the localizer's finishing refinement of poses of low
    /// loss (<c>localizer.sharp_map_scale</c>, <c>sharp_map_max_loss</c>); null for the CPU backend, whose
    /// localizer makes its own, and when <paramref name="enabled"/> is false. The caller disposes it.
    /// </summary>
    public static CudaLabelRenderer? CreateSharp(ComputeRenderer chosen, GaussianMap map, double scale, bool enabled, int device, RenderSettings? settings = null) =>
        chosen.Renderer is CudaLabelRenderer && enabled
            ? CudaLabelRenderer.Create(map.Sharpened(scale), settings, new CudaOptions { Device = device })
            : null;

    /// <summary>
    /// The renderer for <paramref name="map"/>. <see cref="ComputeBackend.Cuda"/> throws
    /// <see cref="CudaException"/> when CUDA cannot be used; <see cref="ComputeBackend.Auto"/> then
    /// returns the CPU renderer with the exception's message as <see cref="ComputeRenderer.FallbackReason"/>.
    /// </summary>
    public static ComputeRenderer Create(GaussianMap map, ComputeBackend backend, RenderSettings? settings = null, CudaOptions? cuda = null)
    {
        if (backend == ComputeBackend.Cpu)
            return new ComputeRenderer(new CpuLabelRenderer<float>(map, settings), "cpu", null);
        try
        {
            var renderer = CudaLabelRenderer.Create(map, settings, cuda);
            return new ComputeRenderer(renderer, $"cuda ({renderer.DeviceDescription})", null);
        }
        catch (CudaException e) when (backend == ComputeBackend.Auto)
        {
            return new ComputeRenderer(new CpuLabelRenderer<float>(map, settings), "cpu", e.Message);
        }
    }
}
