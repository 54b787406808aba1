namespace Mosaic.Rendering.Cuda;

/// <summary>Where to find the CUDA libraries and which GPU to use (<c>compute.*</c> parameters).</summary>
public sealed record CudaOptions
{
    /// <summary>GPU ordinal as the driver numbers them (CUDA_VISIBLE_DEVICES applies first).</summary>
    public int Device { get; init; }

    /// <summary>The driver library to load instead of probing (default: <c>$MOSAIC_CUDA_DRIVER</c>, else probing).</summary>
    public string? DriverLibrary { get; init; } = Environment.GetEnvironmentVariable("MOSAIC_CUDA_DRIVER");

    /// <summary>The NVRTC library to load instead of probing (default: <c>$MOSAIC_NVRTC</c>, else probing).</summary>
    public string? NvrtcLibrary { get; init; } = Environment.GetEnvironmentVariable("MOSAIC_NVRTC");

    /// <summary>Where compiled kernels are cached (default: <see cref="ModuleCache.DefaultDirectory"/>).</summary>
    public string? CacheDirectory { get; init; }
}
