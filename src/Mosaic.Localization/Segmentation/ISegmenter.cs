using System.Globalization;
using System.Text;
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

    /// <summary>
    /// Deserialises a definition's YAML (snake_case keys) into <typeparamref name="T"/> and checks what
    /// every definition shares: type, version 1, the feature names and one mean and scale per feature.
    /// Errors name <paramref name="source"/> (and the line, for YAML errors).
    /// </summary>
    internal static T Parse<T>(string definition, string source, string typeName, IReadOnlyList<string> featureNames) where T : DefinitionHeader =>
        Parse<T>(definition, source, typeName, _ => featureNames);

    /// <summary>As above, for a segmenter whose feature names depend on the definition's own settings.</summary>
    internal static T Parse<T>(string definition, string source, string typeName, Func<T, IReadOnlyList<string>> featureNamesOf) where T : DefinitionHeader
    {
        T file;
        try
        {
            file = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<T>(definition) ?? throw new FormatException($"{source}: empty segmenter definition");
        }
        catch (YamlException e)
        {
            throw new FormatException($"{source}: line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }
        if (file.Type != typeName || file.Version != 1)
            throw new FormatException($"{source}: expected type {typeName} version 1, found '{file.Type}' version {file.Version}");
        var featureNames = featureNamesOf(file);
        if (!file.Features.SequenceEqual(featureNames))
            throw new FormatException($"{source}: features must be [{string.Join(", ", featureNames)}]");
        if (file.FeatureMean.Count != featureNames.Count || file.FeatureScale.Count != featureNames.Count)
            throw new FormatException($"{source}: feature_mean and feature_scale need {featureNames.Count} values each");
        if (file.Level < 0 || file.Level > 4)
            throw new FormatException($"{source}: level {file.Level} must be in [0, 4]");
        if (file.FeatureMean.Concat(file.FeatureScale).Any(v => !float.IsFinite(v)))
            throw new FormatException($"{source}: non-finite value in the feature standardisation");
        return file;
    }

    /// <summary>A YAML flow list of floats, round-trippable ("R").</summary>
    internal static string FlowList(ReadOnlySpan<float> values)
    {
        var s = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
            s.Append(i == 0 ? "" : ", ").Append(values[i].ToString("R", CultureInfo.InvariantCulture));
        return s.Append(']').ToString();
    }
}

/// <summary>The keys every segmenter definition has; each segmenter's file class adds its own.</summary>
internal abstract class DefinitionHeader
{
    public string Type { get; set; } = "";
    public int Version { get; set; }
    public int LabelCount { get; set; }
    public int Level { get; set; }
    public List<string> Features { get; set; } = [];
    public List<float> FeatureMean { get; set; } = [];
    public List<float> FeatureScale { get; set; } = [];
}
