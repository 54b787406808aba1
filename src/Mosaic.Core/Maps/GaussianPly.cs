using System.Buffers.Binary;
using System.Text;

namespace Mosaic.Core.Maps;

/// <summary>
/// Reads and writes the Gaussians of a privacy map as binary little-endian PLY with the 3D Gaussian
/// splatting property names (x y z, scale_0..2, rot_0..3, opacity) plus <c>label</c>, and for a map
/// with second labels <c>label_1</c> (ushort, 65535 where a Gaussian has none) and <c>prob_0</c> (float,
/// the first label's share, <see cref="GaussianMap.FirstLabelShares"/>). Reading finds
/// properties by name, so 3DGS files with appearance properties (f_dc_*, f_rest_*, nx ny nz, ...)
/// load too — those properties are skipped and never kept.
/// </summary>
public static class GaussianPly
{
    private const int MaxHeaderBytes = 64 * 1024;

    private static readonly string[] GeometryProperties =
        ["x", "y", "z", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3", "opacity"];

    private enum PlyType { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 }

    private readonly record struct Property(string Name, PlyType Type, int Offset);

    /// <summary>
    /// Reads the Gaussians from <paramref name="stream"/>. <paramref name="fileName"/> is used in
    /// error messages only. Values are not validated here (see <see cref="GaussianMap.FindProblem"/>).
    /// </summary>
    /// <exception cref="MapFormatException">The file is not a readable PLY of labelled Gaussians.</exception>
    public static GaussianMap Read(Stream stream, string fileName, int labelCount)
    {
        var (count, properties, stride) = ReadHeader(stream, fileName);
        var byName = properties.ToDictionary(p => p.Name);
        foreach (var name in GeometryProperties.Append("label"))
        {
            if (!byName.ContainsKey(name))
                throw new MapFormatException(fileName, $"header has no property '{name}' (a privacy map needs {string.Join(' ', GeometryProperties)} label)");
        }
        var labelProperty = byName["label"];
        if (labelProperty.Type is PlyType.Float32 or PlyType.Float64)
            throw new MapFormatException(fileName, "property 'label' must be an integer type (ushort)");
        var geometry = GeometryProperties.Select(n => byName[n]).ToArray();
        bool hasSecond = byName.TryGetValue("label_1", out var secondLabelProperty);
        if (hasSecond != byName.TryGetValue("prob_0", out var shareProperty))
            throw new MapFormatException(fileName, $"header has property '{(hasSecond ? "label_1" : "prob_0")}' without '{(hasSecond ? "prob_0" : "label_1")}' (second labels need both)");
        if (secondLabelProperty.Type is PlyType.Float32 or PlyType.Float64)
            throw new MapFormatException(fileName, "property 'label_1' must be an integer type (ushort)");

        var map = new GaussianMap(count, labelCount);
        if (hasSecond)
            map = map.WithSecondLabels(new ushort[count], new float[count]);
        var row = new byte[stride];
        for (int i = 0; i < count; i++)
        {
            int got = stream.ReadAtLeast(row, stride, throwOnEndOfStream: false);
            if (got < stride)
                throw new MapFormatException(fileName, $"truncated: the header declares {count} vertices of {stride} bytes but the data ends inside vertex {i}");
            for (int a = 0; a < 3; a++)
            {
                map.Positions[3 * i + a] = (float)ReadValue(row, geometry[a]);
                map.LogScales[3 * i + a] = (float)ReadValue(row, geometry[3 + a]);
            }
            for (int a = 0; a < 4; a++)
                map.Rotations[4 * i + a] = (float)ReadValue(row, geometry[6 + a]);
            map.OpacityLogits[i] = (float)ReadValue(row, geometry[10]);
            double label = ReadValue(row, labelProperty);
            if (label < 0 || label >= Imaging.Labels.Ignore)
                throw new MapFormatException(fileName, $"vertex {i}: label {label} is outside [0, {Imaging.Labels.Ignore})");
            map.Labels[i] = (ushort)label;
            if (hasSecond)
            {
                double second = ReadValue(row, secondLabelProperty);
                if (second < 0 || second > Imaging.Labels.Ignore)
                    throw new MapFormatException(fileName, $"vertex {i}: label_1 {second} is outside [0, {Imaging.Labels.Ignore}]");
                map.SecondLabels![i] = (ushort)second;
                map.FirstLabelShares![i] = (float)ReadValue(row, shareProperty);
            }
        }
        if (stream.ReadByte() >= 0)
            throw new MapFormatException(fileName, $"unexpected data after the {count} vertices the header declares");
        return map;
    }

    /// <summary>Writes the Gaussians: geometry and labels only, whatever the map came from.</summary>
    public static void Write(Stream stream, GaussianMap map)
    {
        bool second = map.SecondLabels is not null;
        var header = new StringBuilder();
        header.Append("ply\nformat binary_little_endian 1.0\n");
        header.Append(second
            ? "comment Mosaic privacy map: geometry and up to two labels per Gaussian (label, label_1 with 65535 = none, prob_0 = the first label's share), no appearance\n"
            : "comment Mosaic privacy map: geometry and one label per Gaussian, no appearance\n");
        header.Append($"element vertex {map.Count}\n");
        foreach (var name in GeometryProperties)
            header.Append($"property float {name}\n");
        header.Append("property ushort label\n");
        if (second)
            header.Append("property ushort label_1\nproperty float prob_0\n");
        header.Append("end_header\n");
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));

        int stride = 11 * 4 + 2 + (second ? 2 + 4 : 0);
        var buffer = new byte[stride * 4096];
        int used = 0;
        for (int i = 0; i < map.Count; i++)
        {
            var row = buffer.AsSpan(used, stride);
            for (int a = 0; a < 3; a++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(row[(4 * a)..], map.Positions[3 * i + a]);
                BinaryPrimitives.WriteSingleLittleEndian(row[(12 + 4 * a)..], map.LogScales[3 * i + a]);
            }
            for (int a = 0; a < 4; a++)
                BinaryPrimitives.WriteSingleLittleEndian(row[(24 + 4 * a)..], map.Rotations[4 * i + a]);
            BinaryPrimitives.WriteSingleLittleEndian(row[40..], map.OpacityLogits[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(row[44..], map.Labels[i]);
            if (second)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(row[46..], map.SecondLabels![i]);
                BinaryPrimitives.WriteSingleLittleEndian(row[48..], map.FirstLabelShares![i]);
            }
            used += stride;
            if (used == buffer.Length)
            {
                stream.Write(buffer, 0, used);
                used = 0;
            }
        }
        stream.Write(buffer, 0, used);
    }

    private static (int Count, List<Property> Properties, int Stride) ReadHeader(Stream stream, string fileName)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        int consumed = 0;
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0)
                throw new MapFormatException(fileName, lines.Count == 0 && current.Length == 0 ? "file is empty" : "truncated: the PLY header has no end_header line");
            if (++consumed > MaxHeaderBytes)
                throw new MapFormatException(fileName, $"PLY header is longer than {MaxHeaderBytes} bytes");
            if (b == '\n')
            {
                string line = current.ToString().TrimEnd('\r');
                current.Clear();
                if (lines.Count == 0 && line != "ply")
                    throw new MapFormatException(fileName, "not a PLY file (it does not start with the magic line 'ply')");
                lines.Add(line);
                if (line == "end_header")
                    break;
            }
            else
            {
                if (lines.Count == 0 && current.Length >= 3)
                    throw new MapFormatException(fileName, "not a PLY file (it does not start with the magic line 'ply')");
                current.Append((char)b);
            }
        }

        int count = -1, offset = 0;
        bool formatSeen = false, inVertex = false;
        var properties = new List<Property>();
        for (int n = 1; n < lines.Count - 1; n++)
        {
            string where = $"header line {n + 1}";
            var words = lines[n].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words[0] is "comment" or "obj_info")
                continue;
            switch (words[0])
            {
                case "format":
                    if (words.Length != 3 || words[1] != "binary_little_endian")
                        throw new MapFormatException(fileName, $"{where}: format '{string.Join(' ', words.Skip(1))}' is not supported (only binary_little_endian 1.0)");
                    if (words[2] != "1.0")
                        throw new MapFormatException(fileName, $"{where}: PLY version {words[2]} is not supported (only 1.0)");
                    formatSeen = true;
                    break;
                case "element":
                    if (words.Length != 3 || !int.TryParse(words[2], out int c) || c < 0)
                        throw new MapFormatException(fileName, $"{where}: malformed element line '{lines[n]}'");
                    if (count >= 0 || words[1] != "vertex")
                        throw new MapFormatException(fileName, $"{where}: element '{words[1]}' is not supported (a Gaussian PLY has one element, vertex)");
                    count = c;
                    inVertex = true;
                    break;
                case "property":
                    if (!inVertex)
                        throw new MapFormatException(fileName, $"{where}: property before any element");
                    if (words.Length >= 2 && words[1] == "list")
                        throw new MapFormatException(fileName, $"{where}: list properties are not supported in a Gaussian PLY");
                    if (words.Length != 3)
                        throw new MapFormatException(fileName, $"{where}: malformed property line '{lines[n]}'");
                    var type = ParseType(words[1]) ?? throw new MapFormatException(fileName, $"{where}: unknown property type '{words[1]}'");
                    if (properties.Any(p => p.Name == words[2]))
                        throw new MapFormatException(fileName, $"{where}: property '{words[2]}' appears twice");
                    properties.Add(new Property(words[2], type, offset));
                    offset += Size(type);
                    break;
                default:
                    throw new MapFormatException(fileName, $"{where}: unexpected keyword '{words[0]}'");
            }
        }
        if (!formatSeen)
            throw new MapFormatException(fileName, "PLY header has no format line");
        if (count < 0)
            throw new MapFormatException(fileName, "PLY header declares no vertex element");
        return (count, properties, offset);
    }

    private static PlyType? ParseType(string name) => name switch
    {
        "char" or "int8" => PlyType.Int8,
        "uchar" or "uint8" => PlyType.UInt8,
        "short" or "int16" => PlyType.Int16,
        "ushort" or "uint16" => PlyType.UInt16,
        "int" or "int32" => PlyType.Int32,
        "uint" or "uint32" => PlyType.UInt32,
        "float" or "float32" => PlyType.Float32,
        "double" or "float64" => PlyType.Float64,
        _ => null,
    };

    private static int Size(PlyType type) => type switch
    {
        PlyType.Int8 or PlyType.UInt8 => 1,
        PlyType.Int16 or PlyType.UInt16 => 2,
        PlyType.Int32 or PlyType.UInt32 or PlyType.Float32 => 4,
        _ => 8,
    };

    private static double ReadValue(ReadOnlySpan<byte> row, Property p)
    {
        var s = row[p.Offset..];
        return p.Type switch
        {
            PlyType.Int8 => (sbyte)s[0],
            PlyType.UInt8 => s[0],
            PlyType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(s),
            PlyType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(s),
            PlyType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(s),
            PlyType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(s),
            PlyType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(s),
            _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
        };
    }
}
