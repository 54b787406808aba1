using System.Globalization;
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

    /// <summary>
    /// An option class as flat dotted snake_case names and invariant-culture values (nested option
    /// classes become <c>section.name</c>): what a parameter file sets, for provenance and comparison.
    /// </summary>
    public static Dictionary<string, string> Flatten(object options)
    {
        var result = new Dictionary<string, string>();
        Flatten(options, "", result);
        return result;
    }

    private static void Flatten(object options, string prefix, Dictionary<string, string> result)
    {
        foreach (var property in options.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            string name = prefix + UnderscoredNamingConvention.Instance.Apply(property.Name);
            object? value = property.GetValue(options);
            if (value is null)
                continue;
            if (property.PropertyType.IsClass && property.PropertyType != typeof(string))
                Flatten(value, name + ".", result);
            else
                result[name] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        }
    }

    private sealed class Section<T>
    {
        [YamlMember(Alias = "ros__parameters")]
        public T? RosParameters { get; set; }
    }
}
