using System.Globalization;
using YamlDotNet.Serialization.NamingConventions;

namespace Mosaic.Localization.Parameters;

/// <summary>
/// Reads one node's sections of a single ROS 2 parameter file (<see cref="ParameterSet"/> semantics) into an
/// option class whose properties appear in snake_case, for the offline tools. Unknown parameters are
/// errors there, so a misspelt name never silently falls back to its default.
/// </summary>
public static class ParameterFile
{
    /// <summary>
    /// Loads the sections of <paramref name="nodeName"/> (or wildcard sections matching it) of
    /// <paramref name="paths"/> in order, then the <c>-p name:=value</c> <paramref name="overrides"/>
    /// (later values win), into the defaults of <typeparamref name="T"/>, and validates the result. No
    /// files and no overrides give the defaults.
    /// </summary>
    /// <exception cref="FormatException">A file is not valid YAML, no file has a section for <paramref name="nodeName"/>, or a parameter is unknown.</exception>
    /// <exception cref="ArgumentException">A value is out of range (from <paramref name="validate"/>), prefixed with the files and overrides.</exception>
    public static T Load<T>(IReadOnlyList<string> paths, IReadOnlyList<(string Name, string Value)> overrides, string nodeName, Action<T> validate)
        where T : class, new()
    {
        var parameters = ParameterSet.Load(paths, overrides, nodeName);
        if (paths.Count > 0 && !parameters.HasSection)
            throw new FormatException($"{string.Join(", ", paths)}: no '{nodeName}: ros__parameters:' (or '/**') section");
        return parameters.Bind(validate);
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
            if (value is Array array)
                result[name] = $"[{string.Join(", ", array.Cast<object>().Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)))}]";
            else if (property.PropertyType.IsClass && property.PropertyType != typeof(string))
                Flatten(value, name + ".", result);
            else
                result[name] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        }
    }
}
