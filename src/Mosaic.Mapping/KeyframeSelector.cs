using Mosaic.Core.Geometry;

namespace Mosaic.Mapping;

/// <summary>
/// Picks keyframes by motion: the first frame, then every frame that moved at least
/// <see cref="KeyframeOptions.MinTranslation"/> or turned at least <see cref="KeyframeOptions.MinRotationDeg"/>
/// since the last keyframe; thinned evenly to <see cref="KeyframeOptions.MaxCount"/> when set.
/// </summary>
public static class KeyframeSelector
{
    /// <summary>The keyframes among <paramref name="candidates"/> (in stamp order).</summary>
    public static IReadOnlyList<FrameCandidate> Select(IReadOnlyList<FrameCandidate> candidates, KeyframeOptions options)
    {
        var chosen = new List<FrameCandidate>();
        double minRotation = options.MinRotationDeg * Math.PI / 180;
        foreach (var candidate in candidates)
        {
            if (chosen.Count > 0)
            {
                var (translation, rotation) = Se3.Distance(chosen[^1].MapFromColor, candidate.MapFromColor);
                if (translation < options.MinTranslation && rotation < minRotation)
                    continue;
            }
            chosen.Add(candidate);
        }
        if (options.MaxCount > 0 && chosen.Count > options.MaxCount)
            chosen = Enumerable.Range(0, options.MaxCount).Select(i => chosen[(int)((long)i * chosen.Count / options.MaxCount)]).ToList();
        return chosen;
    }
}
