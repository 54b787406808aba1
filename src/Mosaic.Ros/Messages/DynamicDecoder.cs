using System.Globalization;
using Mosaic.Ros.Cdr;

namespace Mosaic.Ros.Messages;

/// <summary>
/// Decodes CDR messages of any type from its <c>ros2msg</c> definition text (as MCAP schemas and
/// sqlite3 message_definitions store it) into nested dictionaries: field name to value, where a value
/// is a primitive, a string, a byte[] (uint8/byte arrays), a list, or a nested dictionary.
/// </summary>
/// <remarks>
/// Covers what ROS 2 message files use: all primitive types, bounded strings, fixed, bounded and
/// unbounded arrays, nested types (same-package short names, <c>pkg/Type</c>, <c>pkg/msg/Type</c>),
/// constants and default values (skipped), and <c>wstring</c> (see <see cref="CdrReader.ReadWString"/>).
/// A <c>wchar</c> field parses but refuses to decode: Fast DDS writes it in 4 bytes and Cyclone DDS
/// in 2, and a bag does not say which wrote it.
/// </remarks>
public sealed class DynamicDecoder
{
    private static readonly Dictionary<string, int> PrimitiveSizes = new()
    {
        ["bool"] = 1, ["byte"] = 1, ["char"] = 1, ["uint8"] = 1, ["int8"] = 1,
        ["int16"] = 2, ["uint16"] = 2, ["int32"] = 4, ["uint32"] = 4, ["float32"] = 4,
        ["int64"] = 8, ["uint64"] = 8, ["float64"] = 8,
    };

    private readonly Dictionary<string, List<Field>> _types;
    private readonly string _root;

    private DynamicDecoder(string root, Dictionary<string, List<Field>> types)
    {
        _root = root;
        _types = types;
    }

    /// <summary>Parses <paramref name="fullText"/> (root definition, then <c>MSG:</c> blocks) for type <paramref name="typeName"/>.</summary>
    /// <exception cref="FormatException">The text is not a valid definition or names a type it does not define.</exception>
    public static DynamicDecoder Parse(string typeName, string fullText)
    {
        string root = Key(typeName);
        var blocks = new List<(string Type, List<string> Lines)> { (root, new List<string>()) };
        foreach (var rawLine in fullText.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length >= 3 && line.All(c => c == '='))
            {
                continue;
            }
            if (line.StartsWith("MSG:", StringComparison.Ordinal))
            {
                blocks.Add((Key(line[4..].Trim()), new List<string>()));
                continue;
            }
            blocks[^1].Lines.Add(line);
        }
        var types = new Dictionary<string, List<Field>>();
        int separator = blocks[0].Lines.IndexOf("---");
        if (separator >= 0)
        {
            AddServiceEvent(types, root, blocks[0].Lines, separator);
            blocks.RemoveAt(0);
        }
        foreach (var (type, lines) in blocks)
        {
            types.TryAdd(type, ParseFields(type, lines));
        }
        foreach (var (type, fields) in types)
        {
            foreach (var field in fields.Where(f => !f.IsPrimitive && !types.ContainsKey(f.BaseType)))
            {
                throw new FormatException($"definition of {type} uses {field.BaseType}, which the text does not define");
            }
        }
        return new DynamicDecoder(root, types);
    }

    /// <summary>Decodes a whole serialized message (encapsulation header included).</summary>
    public IReadOnlyDictionary<string, object?> Decode(ReadOnlySpan<byte> data)
    {
        var reader = new CdrReader(data);
        return ReadStruct(ref reader, _root, depth: 0);
    }

    private Dictionary<string, object?> ReadStruct(ref CdrReader reader, string type, int depth)
    {
        if (depth > 64)
        {
            throw new FormatException($"type nesting deeper than 64 at {type} (recursive definition?)");
        }
        var fields = _types[type];
        var result = new Dictionary<string, object?>(fields.Count);
        if (fields.Count == 0)
        {
            // rosidl serializes a message without fields as one uint8 (structure_needs_at_least_one_member).
            reader.ReadByte();
            return result;
        }
        foreach (var field in fields)
        {
            result[field.Name] = field.ArrayKind switch
            {
                ArrayKind.None => ReadValue(ref reader, field, depth),
                ArrayKind.Fixed => ReadElements(ref reader, field, field.ArrayLength, depth),
                _ => ReadElements(ref reader, field, reader.ReadSequenceLength(MinimumSize(field)), depth),
            };
        }
        return result;
    }

    private object ReadElements(ref CdrReader reader, Field field, int count, int depth)
    {
        if (field.BaseType is "uint8" or "byte" or "char")
        {
            return reader.Take(count, 1).ToArray();
        }
        int minimum = MinimumSize(field);
        if (minimum > 0 && count > reader.Remaining / minimum + 1)
        {
            throw new CdrException($"array of {count} {field.BaseType} cannot fit in the {reader.Remaining} bytes left", reader.Offset);
        }
        var list = new List<object?>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(ReadValue(ref reader, field, depth));
        }
        return list;
    }

    private object? ReadValue(ref CdrReader reader, Field field, int depth) => field.BaseType switch
    {
        "bool" => reader.ReadBool(),
        "byte" or "uint8" or "char" => reader.ReadByte(),
        "int8" => reader.ReadSByte(),
        "int16" => reader.ReadInt16(),
        "uint16" => reader.ReadUInt16(),
        "int32" => reader.ReadInt32(),
        "uint32" => reader.ReadUInt32(),
        "int64" => reader.ReadInt64(),
        "uint64" => reader.ReadUInt64(),
        "float32" => reader.ReadSingle(),
        "float64" => reader.ReadDouble(),
        "string" => reader.ReadString(),
        "wstring" => reader.ReadWString(),
        "wchar" => throw new NotSupportedException(
            $"field '{field.Name}' is a wchar, whose size depends on the DDS implementation that wrote it (4 bytes in Fast DDS, 2 in Cyclone DDS)"),
        _ => ReadStruct(ref reader, field.BaseType, depth + 1),
    };

    private static int MinimumSize(Field field) =>
        PrimitiveSizes.TryGetValue(field.BaseType, out int size) ? size : field.BaseType is "string" or "wstring" ? 4 : 1;

    /// <summary>
    /// rosbag2 stores a service event type (<c>pkg/srv/Name_Event</c>) with the <c>.srv</c> text
    /// (request fields, <c>---</c>, response fields). The event message itself is
    /// <c>service_msgs/ServiceEventInfo info; Name_Request[&lt;=1] request; Name_Response[&lt;=1] response</c>.
    /// </summary>
    private static void AddServiceEvent(Dictionary<string, List<Field>> types, string root, List<string> lines, int separator)
    {
        if (!root.EndsWith("_Event", StringComparison.Ordinal))
        {
            throw new FormatException($"definition of {root} has a '---' separator but is not a service event type");
        }
        string service = root[..^"_Event".Length];
        string package = root.Split('/')[0];
        types[service + "_Request"] = ParseFields(service + "_Request", lines[..separator]);
        types[service + "_Response"] = ParseFields(service + "_Response", lines[(separator + 1)..]);
        types.TryAdd("service_msgs/ServiceEventInfo", ParseFields("service_msgs/ServiceEventInfo",
            ["uint8 event_type", "builtin_interfaces/Time stamp", "char[16] client_gid", "int64 sequence_number"]));
        types.TryAdd("builtin_interfaces/Time", ParseFields("builtin_interfaces/Time", ["int32 sec", "uint32 nanosec"]));
        types[root] =
        [
            ParseField(package, "service_msgs/ServiceEventInfo", "info", root),
            ParseField(package, service + "_Request[<=1]", "request", root),
            ParseField(package, service + "_Response[<=1]", "response", root),
        ];
    }

    private static List<Field> ParseFields(string type, List<string> lines)
    {
        var fields = new List<Field>();
        string package = type.Split('/')[0];
        foreach (var rawLine in lines)
        {
            int comment = rawLine.IndexOf('#');
            string line = (comment >= 0 ? rawLine[..comment] : rawLine).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var tokens = line.Split((char[])[' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2)
            {
                throw new FormatException($"definition of {type}: cannot read field line '{rawLine.Trim()}'");
            }
            if (tokens[1].Contains('=') || (tokens.Length > 2 && tokens[2].StartsWith('=')))
            {
                continue; // a constant
            }
            fields.Add(ParseField(package, tokens[0], tokens[1], type));
        }
        return fields;
    }

    private static Field ParseField(string package, string typeToken, string name, string owner)
    {
        var kind = ArrayKind.None;
        int length = 0;
        int bracket = typeToken.IndexOf('[');
        string baseType = typeToken;
        if (bracket >= 0)
        {
            string inside = typeToken[(bracket + 1)..^1];
            baseType = typeToken[..bracket];
            if (inside.Length == 0)
            {
                kind = ArrayKind.Sequence;
            }
            else if (inside.StartsWith("<=", StringComparison.Ordinal))
            {
                kind = ArrayKind.Sequence;
            }
            else if (int.TryParse(inside, NumberStyles.None, CultureInfo.InvariantCulture, out length))
            {
                kind = ArrayKind.Fixed;
            }
            else
            {
                throw new FormatException($"definition of {owner}: bad array size in '{typeToken}'");
            }
        }
        int bound = baseType.IndexOf("<=", StringComparison.Ordinal);
        if (bound >= 0)
        {
            baseType = baseType[..bound]; // bounded string: the bound does not change the encoding
        }
        bool primitive = PrimitiveSizes.ContainsKey(baseType) || baseType is "string" or "wstring" or "wchar";
        if (!primitive)
        {
            baseType = baseType switch
            {
                "Header" => "std_msgs/Header",
                "time" => "builtin_interfaces/Time",
                "duration" => "builtin_interfaces/Duration",
                _ when baseType.Contains('/') => Key(baseType),
                _ => package + "/" + baseType,
            };
        }
        return new Field(name, baseType, primitive, kind, length);
    }

    // Types are keyed by "pkg/Type" whatever form the text uses.
    private static string Key(string typeName) =>
        typeName.Replace("/msg/", "/", StringComparison.Ordinal).Replace("/srv/", "/", StringComparison.Ordinal);

    private enum ArrayKind { None, Fixed, Sequence }

    private sealed record Field(string Name, string BaseType, bool IsPrimitive, ArrayKind ArrayKind, int ArrayLength);
}
