using Mosaic.Core.Maps;
using Mosaic.Localization.Parameters;
using Mosaic.Rendering.Cuda;
using Spectre.Console;

namespace Mosaic.Cli;

/// <summary>The renderer the <c>compute.*</c> parameters ask for, with the choice (and any fallback) printed.</summary>
internal static class Compute
{
    public static ComputeRenderer Renderer(GaussianMap map, ComputeParameters parameters)
    {
        var chosen = ComputeBackends.Create(map, parameters.Backend, parameters.Device);
        if (chosen.FallbackReason is not null)
            AnsiConsole.MarkupLineInterpolated($"[yellow]compute.backend auto: CUDA unavailable, using the CPU backend: {chosen.FallbackReason}[/]");
        AnsiConsole.MarkupLineInterpolated($"compute backend: {chosen.Description}");
        return chosen;
    }
}
