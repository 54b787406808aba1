using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization.NamingConventions;

namespace Mosaic.Localization.Parameters;

/// <summary>One parameter's value and where it was set.</summary>
/// <param name="Name">Dotted name, e.g. <c>localizer.min_coverage</c>.</param>
/// <param name="Value">The YAML value (a scalar, or a sequence of scalars).</param>
/// <param name="Source">Where it was set: <c>file: line L, column C</c> or <c>-p name:=value</c>.</param>
public sealed record ParameterValue(string Name, YamlNode Value, string Source);

/// <summary>
/// The parameters one node gets, with ROS 2 parameter-file semantics (rclcpp's parameter_map): every
/// section of every file whose node key matches the node's fully qualified name, in order, then the
/// <c>-p name:=value</c> overrides; later values win. Node keys get a leading <c>/</c>; <c>/*</c>
/// matches one name segment and <c>/**</c> any number; keys nested above <c>ros__parameters</c> are
/// namespaces. Nested maps and dotted keys inside <c>ros__parameters</c> both give dotted names.
/// </summary>
public sealed class ParameterSet
{
    private const string ParametersKey = "ros__parameters";
    private readonly Dictionary<string, ParameterValue> _values;

    private ParameterSet(string nodeName, Dictionary<string, ParameterValue> values, IReadOnlyList<string> sources, bool anySection)
    {
        (NodeName, _values, Sources, HasSection) = (nodeName, values, sources, anySection);
    }

    /// <summary>The fully qualified node name the sections were matched against, e.g. <c>/robot1/mosaic</c>.</summary>
    public string NodeName { get; }

    /// <summary>Every parameter set for the node, by dotted name.</summary>
    public IReadOnlyDictionary<string, ParameterValue> Values => _values;

    /// <summary>The files read and <c>-p</c> overrides applied, in order.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>Whether any file had a section for the node.</summary>
    public bool HasSection { get; }

    /// <summary>Reads <paramref name="files"/> in order, then applies <paramref name="overrides"/> (name, YAML value text).</summary>
    /// <param name="files">Parameter files.</param>
    /// <param name="overrides">Each <c>-p name:=value</c> as (name, value).</param>
    /// <param name="nodeName">Fully qualified node name (a missing leading <c>/</c> is added).</param>
    /// <exception cref="FormatException">A file is missing, is not YAML, or does not have the parameter-file shape; the message names the file and line.</exception>
    public static ParameterSet Load(IEnumerable<string> files, IEnumerable<(string Name, string Value)> overrides, string nodeName)
    {
        nodeName = nodeName.StartsWith('/') ? nodeName : "/" + nodeName;
        var values = new Dictionary<string, ParameterValue>();
        var sources = new List<string>();
        bool anySection = false;
        foreach (var path in files)
        {
            sources.Add(path);
            var root = ReadYaml(path);
            if (root is null)
                continue;
            if (root is not YamlMappingNode mapping)
                throw new FormatException($"{At(path, root)}: a parameter file is a map of node names to 'ros__parameters:' sections");
            anySection |= ReadSections(path, mapping, "", nodeName, values);
        }
        foreach (var (name, text) in overrides)
        {
            string source = $"-p {name}:={text}";
            sources.Add(source);
            if (string.IsNullOrWhiteSpace(name))
                throw new FormatException($"'{source}': the parameter name is empty");
            values[name] = new ParameterValue(name, ParseOverride(text, source), source);
        }
        return new ParameterSet(nodeName, values, sources, anySection);
    }

    /// <summary>Splits <c>name:=value</c> (a <c>-p</c> override or a <c>-r</c> remap) at its first <c>:=</c>.</summary>
    /// <param name="flag">The flag it came with, for the message.</param>
    /// <param name="text">The argument.</param>
    /// <exception cref="ArgumentException">There is no <c>:=</c>, or nothing before it.</exception>
    public static (string Name, string Value) SplitAssignment(string flag, string text)
    {
        int at = text.IndexOf(":=", StringComparison.Ordinal);
        if (at <= 0)
            throw new ArgumentException($"{flag} {text}: expected name:=value");
        return (text[..at], text[(at + 2)..]);
    }

    /// <summary>
    /// Binds the parameters to a fresh <typeparamref name="T"/> (properties in snake_case, nested option
    /// classes as dotted prefixes), then runs <paramref name="validate"/>.
    /// </summary>
    /// <param name="validate">Range checks; its <see cref="ArgumentException"/> is prefixed with the sources.</param>
    /// <param name="unknown">Receives parameters <typeparamref name="T"/> does not have (with their source); null makes them errors.</param>
    /// <exception cref="FormatException">A value has the wrong type, or (with <paramref name="unknown"/> null) a parameter is unknown.</exception>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public T Bind<T>(Action<T> validate, ICollection<ParameterValue>? unknown = null) where T : class, new()
    {
        var options = new T();
        foreach (var parameter in _values.Values)
        {
            if (!TrySet(options, parameter))
            {
                if (unknown is null)
                    throw new FormatException($"{parameter.Source}: unknown parameter '{parameter.Name}'");
                unknown.Add(parameter);
            }
        }
        try
        {
            validate(options);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{string.Join(", ", Sources)}: {e.Message}", e);
        }
        return options;
    }

    private static YamlNode? ReadYaml(string path)
    {
        if (!File.Exists(path))
            throw new FormatException($"{path}: parameter file not found");
        try
        {
            using var reader = new StreamReader(path);
            var stream = new YamlStream();
            stream.Load(reader);
            return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new FormatException($"{path}: line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    private static YamlNode ParseOverride(string text, string source)
    {
        if (text.Length == 0)
            return new YamlScalarNode("");
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new FormatException($"'{source}': the value is not YAML: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    // Walks node keys (namespaces above ros__parameters); returns whether a section matched.
    private static bool ReadSections(string path, YamlMappingNode mapping, string prefix, string nodeName, Dictionary<string, ParameterValue> values)
    {
        bool matched = false;
        foreach (var (keyNode, value) in mapping.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            if (key == ParametersKey)
            {
                if (prefix.Length == 0)
                    throw new FormatException($"{At(path, keyNode)}: 'ros__parameters' needs a node name above it");
                if (!NodeKeyMatches(prefix, nodeName))
                    continue;
                matched = true;
                if (value is YamlMappingNode parameters)
                    Flatten(path, parameters, "", values);
                else if (value is not YamlScalarNode { Value: null or "" })
                    throw new FormatException($"{At(path, value)}: 'ros__parameters' must be a map of parameters");
                continue;
            }
            if (value is not YamlMappingNode nested)
                throw new FormatException($"{At(path, keyNode)}: '{key}' is not a node section (expected '{key}: ros__parameters: ...')");
            string name = key.StartsWith('/') ? key : "/" + key;
            matched |= ReadSections(path, nested, prefix + (prefix.EndsWith('/') ? name[1..] : name), nodeName, values);
        }
        return matched;
    }

    private static void Flatten(string path, YamlMappingNode node, string prefix, Dictionary<string, ParameterValue> values)
    {
        foreach (var (keyNode, value) in node.Children)
        {
            string name = prefix + ((YamlScalarNode)keyNode).Value;
            if (value is YamlMappingNode nested)
                Flatten(path, nested, name + ".", values);
            else
                values[name] = new ParameterValue(name, value, At(path, keyNode));
        }
    }

    /// <summary>Whether a parameter-file node key (e.g. <c>/**</c>, <c>/*/mosaic</c>, <c>mosaic</c>) applies to <paramref name="nodeName"/>.</summary>
    public static bool NodeKeyMatches(string key, string nodeName)
    {
        key = key.StartsWith('/') ? key : "/" + key;
        nodeName = nodeName.StartsWith('/') ? nodeName : "/" + nodeName;
        var pattern = Regex.Escape(key).Replace(@"/\*\*", @"(/\w+)*").Replace(@"/\*", @"/\w+");
        return Regex.IsMatch(nodeName, "^" + pattern + "$");
    }

    private static string At(string path, YamlNode node) => $"{path}: line {node.Start.Line}, column {node.Start.Column}";

    private static bool TrySet(object options, ParameterValue parameter)
    {
        var segments = parameter.Name.Split('.');
        object target = options;
        for (int i = 0; i < segments.Length; i++)
        {
            var property = target.GetType().GetProperties()
                .FirstOrDefault(p => p.CanWrite && p.GetIndexParameters().Length == 0 && UnderscoredNamingConvention.Instance.Apply(p.Name) == segments[i]);
            if (property is null)
                return false;
            bool isSection = property.PropertyType.IsClass && property.PropertyType != typeof(string) && !property.PropertyType.IsArray;
            if (i < segments.Length - 1)
            {
                if (!isSection)
                    return false;
                target = property.GetValue(target) ?? throw new InvalidOperationException($"option section {property.Name} is null");
                continue;
            }
            if (isSection)
                throw new FormatException($"{parameter.Source}: '{parameter.Name}' is a group of parameters, not a value");
            property.SetValue(target, Convert(parameter, property));
        }
        return true;
    }

    private static object Convert(ParameterValue parameter, PropertyInfo property)
    {
        var type = property.PropertyType;
        if (type.IsArray)
        {
            if (parameter.Value is not YamlSequenceNode sequence)
                throw new FormatException($"{parameter.Source}: parameter '{parameter.Name}' expects a list");
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, sequence.Children.Count);
            for (int i = 0; i < array.Length; i++)
                array.SetValue(Scalar(parameter, sequence.Children[i], element), i);
            return array;
        }
        return Scalar(parameter, parameter.Value, type);
    }

    private static object Scalar(ParameterValue parameter, YamlNode node, Type type)
    {
        if (node is not YamlScalarNode { Value: { } text })
            throw new FormatException($"{parameter.Source}: parameter '{parameter.Name}' expects {Describe(type)}, not a list or map");
        object? value = type switch
        {
            _ when type == typeof(string) => text,
            _ when type == typeof(double) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null,
            _ when type == typeof(long) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
            _ when type == typeof(bool) => text.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                _ => null,
            },
            _ => throw new InvalidOperationException($"parameter type {type.Name} is not supported"),
        };
        return value ?? throw new FormatException($"{parameter.Source}: parameter '{parameter.Name}' expects {Describe(type)}, got '{text}'");
    }

    private static string Describe(Type type) =>
        type == typeof(double) ? "a number" : type == typeof(int) || type == typeof(long) ? "an integer" : type == typeof(bool) ? "true or false" : "a string";
}
