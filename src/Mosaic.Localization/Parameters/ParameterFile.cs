using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Mosaic.Localization.Parameters;

/// <summary>
/// Reads one node's section of a ROS 2 parameter file (<c>node_name: ros__parameters: ...</c>, or
/// the <c>/**</c> wildcard section) into an option class whose properties appear in snake_case.
/// Unknown parameters are errors, so a misspelt name never silently falls back to its default.
/// </summary>
public static class ParameterFile
{
    /// <summary>Loads and validates the section of <paramref name="nodeName"/> in <paramref name="path"/>.</summary>
    /// <exception cref="FormatException">The file is not valid YAML, has no such section, or names an unknown parameter.</exception>
    /// <exception cref="ArgumentException">A value is out of range (from <paramref name="validate"/>), prefixed with the file name.</exception>
    public static T Load<T>(string path, string nodeName, Action<T> validate) where T : class, new()
    {
        Dictionary<string, Section<T>>? file;
        try
        {
            using var reader = new StreamReader(path);
            file = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<Dictionary<string, Section<T>>>(reader);
        }
        catch (YamlException e)
        {
            throw new FormatException($"{path}: line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }
        if (file is null)
            throw new FormatException($"{path}: file is empty");
        var section = file.TryGetValue(nodeName, out var own) ? own : file.TryGetValue("/**", out var any) ? any : null;
        if (section?.RosParameters is null)
            throw new FormatException($"{path}: no '{nodeName}: ros__parameters:' (or '/**') section");
        try
        {
            validate(section.RosParameters);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{path}: {e.Message}", e);
        }
        return section.RosParameters;
    }

    private sealed class Section<T>
    {
        [YamlMember(Alias = "ros__parameters")]
        public T? RosParameters { get; set; }
    }
}
