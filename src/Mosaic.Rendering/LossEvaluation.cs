namespace Mosaic.Rendering;

/// <summary>
/// The label loss at one pose (DESIGN.md §6) and, when asked for, its derivatives with respect to the
/// left-perturbation tangent (ρ, φ) of T_cam_map.
/// </summary>
/// <param name="Loss">Mean over the query's labelled pixels of −Σ_k h_p(k) log((A_k + ε)/(A + Kε)).</param>
/// <param name="Coverage">Share of the query's labelled pixels whose rendered A reaches the coverage threshold.</param>
/// <param name="ValidPixels">Number of labelled query pixels (the mean's denominator).</param>
/// <param name="VisibleGaussians">Gaussians that survived culling.</param>
/// <param name="Gradient">dLoss/dξ (6), or null.</param>
/// <param name="NormalMatrix">
/// Row-major 6×6 (1/N) Σ_p g_p g_pᵀ of the per-pixel loss gradients g_p: the empirical Fisher
/// information, a Gauss-Newton approximation of the Hessian of a cross-entropy; or null.
/// </param>
public sealed record LossEvaluation(
    double Loss,
    double Coverage,
    int ValidPixels,
    int VisibleGaussians,
    double[]? Gradient,
    double[]? NormalMatrix);
