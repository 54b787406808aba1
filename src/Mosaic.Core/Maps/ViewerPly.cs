using System.Buffers.Binary;
using System.Text;
using Mosaic.Core.Imaging;

namespace Mosaic.Core.Maps;

/// <summary>
/// Writes a map as a standard 3D Gaussian splatting PLY for splat viewers: geometry plus the label
/// palette colour as the zeroth spherical-harmonic coefficients (f_dc_0..2). The colours come from
/// <see cref="LabelPalette"/>, never from images.
/// </summary>
public static class ViewerPly
{
    private const double ShC0 = 0.28209479177387814;

    /// <summary>Writes <paramref name="map"/> to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, GaussianMap map)
    {
        string[] properties = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"];
        var header = new StringBuilder("ply\nformat binary_little_endian 1.0\ncomment Mosaic map export: label palette colours, not image colours\n");
        header.Append($"element vertex {map.Count}\n");
        foreach (var p in properties)
            header.Append($"property float {p}\n");
        header.Append("end_header\n");
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
        var row = new byte[4 * properties.Length];
        for (int i = 0; i < map.Count; i++)
        {
            var (r, g, b) = LabelPalette.Color(map.Labels[i]);
            float[] values =
            [
                map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2], 0, 0, 0,
                (float)((r / 255.0 - 0.5) / ShC0), (float)((g / 255.0 - 0.5) / ShC0), (float)((b / 255.0 - 0.5) / ShC0),
                map.OpacityLogits[i], map.LogScales[3 * i], map.LogScales[3 * i + 1], map.LogScales[3 * i + 2],
                map.Rotations[4 * i], map.Rotations[4 * i + 1], map.Rotations[4 * i + 2], map.Rotations[4 * i + 3],
            ];
            for (int v = 0; v < values.Length; v++)
                BinaryPrimitives.WriteSingleLittleEndian(row.AsSpan(4 * v), values[v]);
            stream.Write(row);
        }
    }
}
