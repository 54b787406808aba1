namespace Mosaic.Rendering;

/// <summary>
/// Settings of the label renderer and the label loss (DESIGN.md §6). Defaults follow 3D Gaussian
/// splatting where it has a convention.
/// </summary>
public sealed record RenderSettings
{
    /// <summary>Gaussians whose centre is closer than this (metres, camera z) are culled.</summary>
    public double NearPlane { get; init; } = 0.05;

    /// <summary>Gaussians whose centre is farther than this (metres, camera z) are culled.</summary>
    public double FarPlane { get; init; } = 100;

    /// <summary>Variance (pixels²) added to every projected covariance: the 2D low-pass filter of 3DGS.</summary>
    public double LowPassVariance { get; init; } = 0.3;

    /// <summary>
    /// Support of each Gaussian in standard deviations. The footprint is shifted so that alpha falls
    /// continuously to zero at this Mahalanobis radius, which keeps the loss continuous in the pose
    /// (a hard 1/255 cut-off, as in 3DGS, makes it jump).
    /// </summary>
    public double SupportSigmas { get; init; } = 3;

    /// <summary>Largest alpha of one Gaussian at one pixel (3DGS: 0.99).</summary>
    public double MaxAlpha { get; init; } = 0.99;

    /// <summary>
    /// Compositing stops at a pixel once its transmittance falls below this (3DGS: 1e-4). Zero
    /// composites every Gaussian, which makes the loss exactly smooth (used by gradient tests).
    /// </summary>
    public double MinTransmittance { get; init; } = 1e-4;

    /// <summary>
    /// Tile edge in pixels for binning; null lets the backend choose: the CPU backend uses 4 (the
    /// fastest at every pyramid level on a real kitchen map, README "Rendering speed"), CUDA 16 (one
    /// 256-thread block per tile).
    /// </summary>
    public int? TileSize { get; init; }

    /// <summary>ε of the loss: a pixel's rendered label probability is (A_k + ε) / (A + K ε).</summary>
    public double LossEpsilon { get; init; } = 0.01;

    /// <summary>A pixel counts as covered by the map when its accumulated weight A reaches this.</summary>
    public double CoverageThreshold { get; init; } = 0.5;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!(NearPlane > 0) || !(FarPlane > NearPlane))
            throw new ArgumentException($"near_plane {NearPlane} must be positive and below far_plane {FarPlane}");
        if (!(LowPassVariance >= 0))
            throw new ArgumentException($"low_pass_variance {LowPassVariance} must be non-negative");
        if (!(SupportSigmas > 0))
            throw new ArgumentException($"support_sigmas {SupportSigmas} must be positive");
        if (!(MaxAlpha > 0 && MaxAlpha < 1))
            throw new ArgumentException($"max_alpha {MaxAlpha} must be in (0, 1)");
        if (!(MinTransmittance >= 0 && MinTransmittance < 1))
            throw new ArgumentException($"min_transmittance {MinTransmittance} must be in [0, 1)");
        if (TileSize is < 1 or > 256)
            throw new ArgumentException($"tile_size {TileSize} must be in [1, 256]");
        if (!(LossEpsilon > 0))
            throw new ArgumentException($"loss_epsilon {LossEpsilon} must be positive");
        if (!(CoverageThreshold >= 0 && CoverageThreshold <= 1))
            throw new ArgumentException($"coverage_threshold {CoverageThreshold} must be in [0, 1]");
    }
}
