using System.Security.Cryptography;
using System.Text;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;

namespace Mosaic.Core.Tests;

public sealed class MapDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mosaic-map-tests-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static GaussianMap SmallMap(int count = 5, int labelCount = 4)
    {
        var map = new GaussianMap(count, labelCount);
        for (int i = 0; i < count; i++)
        {
            map.Positions[3 * i] = i;
            map.Positions[3 * i + 1] = -0.5f * i;
            map.Positions[3 * i + 2] = 2;
            map.LogScales[3 * i] = -3;
            map.LogScales[3 * i + 1] = -2.5f;
            map.LogScales[3 * i + 2] = -4;
            map.Rotations[4 * i] = 1;
            map.Rotations[4 * i + 3] = 0.1f * i;
            map.OpacityLogits[i] = 0.25f * i;
            map.Labels[i] = (ushort)(i % labelCount);
        }
        return map;
    }

    /// <summary><see cref="SmallMap"/> with second labels on Gaussians 0, 2 and 3.</summary>
    private static GaussianMap WithSecondLabels(GaussianMap map)
    {
        var second = Enumerable.Repeat(Labels.Ignore, map.Count).ToArray();
        var shares = Enumerable.Repeat(1f, map.Count).ToArray();
        (second[0], shares[0]) = (1, 0.6f);
        (second[2], shares[2]) = (3, 0.75f);
        (second[3], shares[3]) = (0, 0.5f);
        return map.WithSecondLabels(second, shares);
    }

    [Fact]
    public void A_crop_keeps_every_property_of_the_chosen_gaussians_in_order()
    {
        var map = WithSecondLabels(SmallMap(count: 6));
        var crop = map.Where((x, _, _) => x is >= 1 and <= 3);

        Assert.Equal(3, crop.Count);
        Assert.Equal(map.LabelCount, crop.LabelCount);
        Assert.Equal(map.Positions[3..12], crop.Positions);
        Assert.Equal(map.LogScales[3..12], crop.LogScales);
        Assert.Equal(map.Rotations[4..16], crop.Rotations);
        Assert.Equal(map.OpacityLogits[1..4], crop.OpacityLogits);
        Assert.Equal(map.Labels[1..4], crop.Labels);
        Assert.Equal(map.SecondLabels![1..4], crop.SecondLabels);
        Assert.Equal(map.FirstLabelShares![1..4], crop.FirstLabelShares);
    }

    private string SaveSmallMap(string name = "map")
    {
        string dir = Path.Combine(_root, name);
        MapDirectory.Save(new PrivacyMap("map", SmallMap(), new MapProvenance { Tool = "test", Source = "synthetic" }), dir);
        return dir;
    }

    private static void RewriteChecksum(string dir)
    {
        string manifest = Path.Combine(dir, "map.yaml");
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "gaussians.ply"))));
        var lines = File.ReadAllLines(manifest).Select(l => l.TrimStart().StartsWith("gaussians.ply:") ? $"  gaussians.ply: {hash}" : l);
        File.WriteAllLines(manifest, lines);
    }

    private static void EditManifest(string dir, string from, string to)
    {
        string path = Path.Combine(dir, "map.yaml");
        string text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }

    /// <summary>Overwrites float property <paramref name="property"/> (index among the 11 floats) of vertex <paramref name="vertex"/>.</summary>
    private static void PatchFloat(string dir, int vertex, int property, float value)
    {
        string path = Path.Combine(dir, "gaussians.ply");
        var bytes = File.ReadAllBytes(path);
        int dataStart = Encoding.ASCII.GetString(bytes).IndexOf("end_header\n", StringComparison.Ordinal) + "end_header\n".Length;
        BitConverter.TryWriteBytes(bytes.AsSpan(dataStart + vertex * 46 + property * 4), value);
        File.WriteAllBytes(path, bytes);
        RewriteChecksum(dir);
    }

    private static MapFormatException LoadFails(string dir) => Assert.Throws<MapFormatException>(() => MapDirectory.Load(dir));

    [Fact]
    public void Saved_maps_load_back_identically()
    {
        var original = SmallMap();
        string dir = Path.Combine(_root, "roundtrip");
        MapDirectory.Save(new PrivacyMap("world", original, new MapProvenance { Tool = "test", Parameters = { ["voxel_size"] = "0.02" } }), dir);

        var loaded = MapDirectory.Load(dir);
        Assert.Equal("world", loaded.FrameId);
        Assert.Equal("0.02", loaded.Provenance.Parameters["voxel_size"]);
        Assert.Equal(original.Positions, loaded.Gaussians.Positions);
        Assert.Equal(original.LogScales, loaded.Gaussians.LogScales);
        Assert.Equal(original.Rotations, loaded.Gaussians.Rotations);
        Assert.Equal(original.OpacityLogits, loaded.Gaussians.OpacityLogits);
        Assert.Equal(original.Labels, loaded.Gaussians.Labels);
        Assert.Equal(original.LabelCount, loaded.Gaussians.LabelCount);
        Assert.Equal(["gaussians.ply", "map.yaml"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Second_labels_and_their_shares_are_saved_as_label_1_and_prob_0_and_load_back_identically()
    {
        var original = WithSecondLabels(SmallMap());
        string dir = Path.Combine(_root, "second");
        MapDirectory.Save(new PrivacyMap("map", original, new MapProvenance()), dir);

        var loaded = MapDirectory.Load(dir).Gaussians;
        Assert.Equal(original.Labels, loaded.Labels);
        Assert.Equal(original.SecondLabels, loaded.SecondLabels);
        Assert.Equal(original.FirstLabelShares, loaded.FirstLabelShares);
        Assert.Equal(3, loaded.SecondLabelCount);
        string ply = File.ReadAllText(Path.Combine(dir, "gaussians.ply"), Encoding.Latin1);
        Assert.Contains("property ushort label\nproperty ushort label_1\nproperty float prob_0\nend_header", ply);
        Assert.Null(MapDirectory.Load(SaveSmallMap()).Gaussians.SecondLabels);
    }

    [Fact]
    public void A_second_label_without_its_share_is_not_read()
    {
        var text = "ply\nformat binary_little_endian 1.0\nelement vertex 0\n"
            + string.Concat(new[] { "x", "y", "z", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3", "opacity" }.Select(n => $"property float {n}\n"))
            + "property ushort label\nproperty ushort label_1\nend_header\n";
        var e = Assert.Throws<MapFormatException>(() => GaussianPly.Read(new MemoryStream(Encoding.ASCII.GetBytes(text)), "a.ply", 2));
        Assert.Contains("'label_1' without 'prob_0'", e.Problem);
    }

    [Theory]
    [InlineData(2, 0.6f, "label_1 2 repeats its first label")]
    [InlineData(4, 0.6f, "label_1 4 is not below the label count 4")]
    [InlineData(1, 0.4f, "prob_0 is 0.4, outside [0.5, 1]")]
    [InlineData(1, float.NaN, "prob_0 is NaN")]
    [InlineData(Labels.Ignore, 0.9f, "prob_0 is 0.9 but it has no second label")]
    public void A_second_label_that_cannot_be_rendered_is_named(ushort second, float share, string expected)
    {
        var map = WithSecondLabels(SmallMap());
        (map.SecondLabels![2], map.FirstLabelShares![2]) = (second, share);

        Assert.StartsWith($"Gaussian 2: {expected}", map.FindProblem());
    }

    [Fact]
    public void Saving_replaces_an_existing_map_and_leaves_no_temporary_files()
    {
        string dir = SaveSmallMap();
        MapDirectory.Save(new PrivacyMap("map", SmallMap(count: 2), new MapProvenance()), dir);
        Assert.Equal(2, MapDirectory.Load(dir).Gaussians.Count);
        Assert.Equal(["map"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Saving_refuses_to_replace_a_directory_that_is_not_a_map()
    {
        string dir = Path.Combine(_root, "photos");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "holiday.jpg"), "precious");
        Assert.Throws<IOException>(() => MapDirectory.Save(new PrivacyMap("map", SmallMap(), new MapProvenance()), dir));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(dir, "holiday.jpg")));
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_map_untouched()
    {
        string dir = SaveSmallMap();
        var invalid = SmallMap();
        invalid.Labels[0] = 99;
        Assert.Throws<ArgumentException>(() => MapDirectory.Save(new PrivacyMap("map", invalid, new MapProvenance()), dir));
        Assert.Equal(5, MapDirectory.Load(dir).Gaussians.Count);
        Assert.Single(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void Missing_directory_manifest_or_gaussians_are_named()
    {
        Assert.Contains("does not exist", LoadFails(Path.Combine(_root, "nowhere")).Message);

        string dir = SaveSmallMap("a");
        File.Delete(Path.Combine(dir, "map.yaml"));
        var e = LoadFails(dir);
        Assert.EndsWith("map.yaml", e.FilePath);
        Assert.Contains("missing", e.Problem);

        dir = SaveSmallMap("b");
        File.Delete(Path.Combine(dir, "gaussians.ply"));
        e = LoadFails(dir);
        Assert.EndsWith("gaussians.ply", e.FilePath);
        Assert.Contains("missing", e.Problem);
    }

    [Fact]
    public void Wrong_format_name_or_version_in_the_manifest_is_rejected()
    {
        string dir = SaveSmallMap("a");
        EditManifest(dir, "format: mosaic-privacy-map", "format: something-else");
        Assert.Contains("format is 'something-else'", LoadFails(dir).Message);

        dir = SaveSmallMap("b");
        EditManifest(dir, "version: 1", "version: 7");
        Assert.Contains("version 7 is not supported", LoadFails(dir).Message);

        dir = SaveSmallMap("c");
        EditManifest(dir, "label_count: 4", "label_count: [");
        var e = LoadFails(dir);
        Assert.EndsWith("map.yaml", e.FilePath);
        Assert.Contains("line", e.Problem);
    }

    [Fact]
    public void Wrong_ply_magic_is_rejected()
    {
        string dir = SaveSmallMap();
        var bytes = File.ReadAllBytes(Path.Combine(dir, "gaussians.ply"));
        bytes[0] = (byte)'x';
        File.WriteAllBytes(Path.Combine(dir, "gaussians.ply"), bytes);
        RewriteChecksum(dir);
        var e = LoadFails(dir);
        Assert.EndsWith("gaussians.ply", e.FilePath);
        Assert.Contains("not a PLY file", e.Problem);
    }

    [Fact]
    public void Truncated_gaussians_are_reported_with_the_vertex()
    {
        string dir = SaveSmallMap();
        string ply = Path.Combine(dir, "gaussians.ply");
        var bytes = File.ReadAllBytes(ply);
        File.WriteAllBytes(ply, bytes[..^30]);
        RewriteChecksum(dir);
        Assert.Contains("truncated", LoadFails(dir).Problem);
        Assert.Contains("vertex 4", LoadFails(dir).Problem);
    }

    [Fact]
    public void Count_mismatch_between_manifest_and_ply_is_rejected()
    {
        string dir = SaveSmallMap();
        EditManifest(dir, "gaussian_count: 5", "gaussian_count: 6");
        Assert.Contains("count mismatch", LoadFails(dir).Problem);
    }

    [Fact]
    public void Checksum_mismatch_is_rejected()
    {
        string dir = SaveSmallMap();
        string ply = Path.Combine(dir, "gaussians.ply");
        var bytes = File.ReadAllBytes(ply);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(ply, bytes);
        var e = LoadFails(dir);
        Assert.EndsWith("gaussians.ply", e.FilePath);
        Assert.Contains("checksum mismatch", e.Problem);
    }

    [Theory]
    [InlineData(0, float.NaN, "x is NaN")]
    [InlineData(4, float.PositiveInfinity, "scale_1 is +Inf")]
    [InlineData(10, float.NegativeInfinity, "opacity is -Inf")]
    public void Non_finite_values_are_rejected_naming_gaussian_and_property(int property, float value, string expected)
    {
        string dir = SaveSmallMap();
        PatchFloat(dir, 3, property, value);
        var e = LoadFails(dir);
        Assert.Contains("Gaussian 3", e.Problem);
        Assert.Contains(expected, e.Problem);
    }

    [Fact]
    public void Zero_quaternion_is_rejected()
    {
        string dir = SaveSmallMap();
        for (int a = 0; a < 4; a++)
            PatchFloat(dir, 2, 6 + a, 0);
        Assert.Contains("Gaussian 2: rotation quaternion is zero", LoadFails(dir).Problem);
    }

    [Fact]
    public void Label_not_below_the_label_count_is_rejected()
    {
        string dir = SaveSmallMap();
        EditManifest(dir, "label_count: 4", "label_count: 3");
        Assert.Contains("label 3 is not below the label count 3", LoadFails(dir).Problem);
    }

    [Fact]
    public void Gaussian_splatting_ply_loads_by_name_and_its_appearance_is_dropped()
    {
        // A 3DGS-style file: normals, SH colour (f_dc_*, f_rest_*) interleaved with geometry, in
        // another property order, plus our label.
        var names = new List<string> { "x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2" };
        names.AddRange(Enumerable.Range(0, 45).Select(i => $"f_rest_{i}"));
        names.AddRange(["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]);
        var header = new StringBuilder("ply\nformat binary_little_endian 1.0\nelement vertex 2\n");
        foreach (var n in names)
            header.Append($"property float {n}\n");
        header.Append("property ushort label\nend_header\n");
        using var stream = new MemoryStream();
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
        for (int v = 0; v < 2; v++)
        {
            foreach (var n in names)
            {
                float value = n switch
                {
                    "x" => 1 + v, "y" => 2, "z" => 3, "opacity" => 0.5f,
                    "scale_0" or "scale_1" or "scale_2" => -3, "rot_0" => 1, "rot_1" or "rot_2" or "rot_3" => 0,
                    _ => 0.77f, // appearance
                };
                stream.Write(BitConverter.GetBytes(value));
            }
            stream.Write(BitConverter.GetBytes((ushort)(v + 1)));
        }
        stream.Position = 0;

        var map = GaussianPly.Read(stream, "splat.ply", labelCount: 3);
        Assert.Equal(2, map.Count);
        Assert.Equal([1f, 2, 3, 2, 2, 3], map.Positions);
        Assert.Equal([(ushort)1, (ushort)2], map.Labels);
        Assert.Equal(0.5f, map.OpacityLogits[1]);

        string dir = Path.Combine(_root, "from3dgs");
        MapDirectory.Save(new PrivacyMap("map", map, new MapProvenance()), dir);
        string saved = File.ReadAllText(Path.Combine(dir, "gaussians.ply"), Encoding.Latin1);
        string savedHeader = saved[..saved.IndexOf("end_header", StringComparison.Ordinal)];
        Assert.DoesNotContain("f_dc", savedHeader);
        Assert.DoesNotContain("f_rest", savedHeader);
        Assert.DoesNotContain("nx", savedHeader);
        Assert.Equal(savedHeader.Length + "end_header\n".Length + 2 * (11 * 4 + 2), new FileInfo(Path.Combine(dir, "gaussians.ply")).Length);
    }

    [Fact]
    public void Ply_without_a_label_is_not_a_privacy_map()
    {
        var text = "ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nend_header\n";
        var e = Assert.Throws<MapFormatException>(() => GaussianPly.Read(new MemoryStream(Encoding.ASCII.GetBytes(text)), "a.ply", 2));
        Assert.Contains("no property 'y'", e.Problem);
    }

    [Fact]
    public void Ascii_ply_is_rejected_with_the_header_line()
    {
        var text = "ply\nformat ascii 1.0\nelement vertex 0\nend_header\n";
        var e = Assert.Throws<MapFormatException>(() => GaussianPly.Read(new MemoryStream(Encoding.ASCII.GetBytes(text)), "a.ply", 2));
        Assert.Contains("header line 2", e.Problem);
        Assert.Contains("binary_little_endian", e.Problem);
    }

    private static KeyframeDatabase SmallDatabase()
    {
        var camera = new Mosaic.Core.Cameras.PinholeCamera(160, 120, 131.25, 131.25, 79.75, 59.75);
        var pose = new Mosaic.Core.Geometry.Se3(Mosaic.Core.Geometry.So3.Exp(new(0.1, -0.2, 0.3)), new(1, 2, 3));
        return new KeyframeDatabase(camera, 3, [new Keyframe(17, pose, [0.25f, 0.5f, 0.75f]), new Keyframe(42, Mosaic.Core.Geometry.Se3.Identity, [1, 0, 0])]);
    }

    [Fact]
    public void Keyframes_segmenter_and_report_are_saved_checksummed_and_loaded_back()
    {
        string dir = Path.Combine(_root, "full");
        var map = new PrivacyMap("map", SmallMap(), new MapProvenance { Tool = "test" })
        {
            Keyframes = SmallDatabase(),
            SegmenterDefinition = "type: test\n",
            BuildReport = "frames: 3\n",
        };
        MapDirectory.Save(map, dir);
        var loaded = MapDirectory.Load(dir);
        Assert.Equal("type: test\n", loaded.SegmenterDefinition);
        Assert.Equal("frames: 3\n", loaded.BuildReport);
        var keyframes = loaded.Keyframes!;
        Assert.Equal(map.Keyframes.Camera, keyframes.Camera);
        Assert.Equal([17L, 42L], keyframes.Keyframes.Select(k => k.Stamp));
        Assert.Equal([0.25f, 0.5f, 0.75f], keyframes.Keyframes[0].Descriptor);
        var (dt, dr) = Mosaic.Core.Geometry.Se3.Distance(map.Keyframes.Keyframes[0].MapFromCamera, keyframes.Keyframes[0].MapFromCamera);
        Assert.True(dt < 1e-12 && dr < 1e-12);

        File.AppendAllText(Path.Combine(dir, MapDirectory.SegmenterFile), "tampered: 1\n");
        var e = Assert.Throws<MapFormatException>(() => MapDirectory.Load(dir));
        Assert.Contains("segmenter.yaml", e.Message);
        Assert.Contains("checksum mismatch", e.Message);
    }

    [Fact]
    public void Files_that_are_not_part_of_a_map_are_rejected_in_the_manifest()
    {
        string dir = SaveSmallMap();
        EditManifest(dir, "files:", "files:\n  ../../etc/passwd: 00");
        var e = Assert.Throws<MapFormatException>(() => MapDirectory.Load(dir));
        Assert.Contains("is not a file of a Mosaic map", e.Message);
    }

    [Theory]
    [InlineData(0, "wrong magic")]
    [InlineData(8, "version")]
    [InlineData(-1, "truncated")]
    [InlineData(-2, "unexpected data")]
    [InlineData(100, "not finite")]
    public void Damaged_keyframe_databases_are_rejected_with_the_problem(int patchAt, string expected)
    {
        var stream = new MemoryStream();
        SmallDatabase().Write(stream);
        var bytes = stream.ToArray().ToList();
        switch (patchAt)
        {
            case -1: bytes.RemoveAt(bytes.Count - 1); break;
            case -2: bytes.Add(0); break;
            case 100: // the first keyframe's qw: after the 60-byte header and the 8-byte stamp
                for (int i = 0; i < 8; i++)
                    bytes[68 + i] = BitConverter.GetBytes(double.NaN)[i];
                break;
            default: bytes[patchAt] ^= 0xFF; break;
        }
        var e = Assert.Throws<MapFormatException>(() => KeyframeDatabase.Read(new MemoryStream(bytes.ToArray()), "keyframes.bin"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("keyframes.bin", e.Message);
    }
}
