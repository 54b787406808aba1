using Mosaic.Core.Imaging;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Mosaic.Localization.Segmentation;

/// <summary>
/// Turns a colour image into labels in [0, K): the same labels the map's Gaussians carry. The map
/// builder fits a segmenter on its keyframes and stores its <see cref="Definition"/> with the map;
/// the localizer segments queries with the segmenter loaded from it (<see cref="Segmenters.Load"/>).
/// </summary>
public interface ISegmenter
{
    /// <summary>Number of labels K.</summary>
    int LabelCount { get; }

    /// <summary>
    /// Pyramid level of the output: labels of an image W×H are (W &gt;&gt; Level)×(H &gt;&gt; Level), aligned with
    /// <see cref="Core.Cameras.PinholeCamera.AtLevel"/>.
    /// </summary>
    int Level { get; }

    /// <summary>Labels of <paramref name="image"/> at <see cref="Level"/>; <see cref="Labels.Ignore"/> where no label applies.</summary>
    Image<ushort> Segment(RgbImage image);

    /// <summary>The segmenter's definition as YAML text (segmenter.yaml in a map directory).</summary>
    string Definition();

    /// <summary>
    /// The colour each label stands for, as anyone holding the definition alone can decode it, for an
    /// image whose channel means are <paramref name="channelMean"/> (which the definition does not
    /// hold). This is the definition's privacy cost made concrete; README "What a map reveals" measures it.
    /// </summary>
    (byte R, byte G, byte B)[] LabelColors(double channelMean = 128);
}

/// <summary>Creates segmenters from their stored definitions.</summary>
public static class Segmenters
{
    /// <summary>Loads the segmenter a definition describes; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">Unknown type or a damaged definition.</exception>
    public static ISegmenter Load(string definition, string source)
    {
        string? type = null;
        foreach (var line in definition.Split('\n'))
        {
            if (line.StartsWith("type:", StringComparison.Ordinal))
            {
                type = line["type:".Length..].Trim();
                break;
            }
        }
        return type switch
        {
            ColorCodebookSegmenter.TypeName => ColorCodebookSegmenter.FromDefinition(definition, source),
            LearnedSegmenter.TypeName => LearnedSegmenter.FromDefinition(definition, source),
            null => throw new FormatException($"{source}: segmenter definition has no 'type:' line"),
            _ => throw new FormatException($"{source}: unknown segmenter type '{type}' (this build knows {ColorCodebookSegmenter.TypeName} and {LearnedSegmenter.TypeName})"),
        };
    }

    /// <summary>Deserialises a definition's YAML (snake_case keys) into <typeparamref name="T"/>; errors name <paramref name="source"/> and the line.</summary>
    internal static T Parse<T>(string definition, string source) where T : class
    {
        try
        {
            return new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<T>(definition) ?? throw new FormatException($"{source}: empty segmenter definition");
        }
        catch (YamlException e)
        {
            throw new FormatException($"{source}: line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }
    }
}
