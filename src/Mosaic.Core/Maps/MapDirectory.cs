using System.Security.Cryptography;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Mosaic.Core.Maps;

/// <summary>
/// Reads and writes the map directory (DESIGN.md §5): <c>map.yaml</c>, <c>gaussians.ply</c> and, when
/// the map has them, <c>keyframes.bin</c>, <c>segmenter.yaml</c> and <c>build_report.yaml</c>.
/// Loading checks everything and fails with one <see cref="MapFormatException"/> naming the file
/// and the problem; saving is atomic (a sibling temporary directory renamed into place).
/// </summary>
public static class MapDirectory
{
    /// <summary>Name of the manifest file.</summary>
    public const string ManifestFile = "map.yaml";

    /// <summary>Name of the Gaussians file.</summary>
    public const string GaussiansFile = "gaussians.ply";

    /// <summary>Name of the segmenter definition file (optional).</summary>
    public const string SegmenterFile = "segmenter.yaml";

    /// <summary>Name of the build report file (optional).</summary>
    public const string ReportFile = "build_report.yaml";

    private static readonly string[] KnownFiles = [GaussiansFile, KeyframeDatabase.FileName, SegmenterFile, ReportFile];

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    /// <summary>Loads and validates the map in <paramref name="directory"/>.</summary>
    /// <exception cref="MapFormatException">Anything is missing, damaged or inconsistent.</exception>
    public static PrivacyMap Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new MapFormatException(directory, "map directory does not exist");
        string manifestPath = Path.Combine(directory, ManifestFile);
        var manifest = ReadManifest(manifestPath);

        foreach (var (name, _) in manifest.Files)
        {
            if (!KnownFiles.Contains(name))
                throw new MapFormatException(manifestPath, $"files: '{name}' is not a file of a Mosaic map ({string.Join(", ", KnownFiles)})");
            if (!File.Exists(Path.Combine(directory, name)))
                throw new MapFormatException(Path.Combine(directory, name), "missing (listed in map.yaml)");
        }
        string plyPath = Path.Combine(directory, GaussiansFile);
        if (!manifest.Files.TryGetValue(GaussiansFile, out string? expectedHash))
            throw new MapFormatException(manifestPath, $"files: has no entry for {GaussiansFile}");

        GaussianMap gaussians;
        string actualHash;
        using (var file = new FileStream(plyPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        using (var sha = SHA256.Create())
        using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Read))
        {
            gaussians = GaussianPly.Read(hashing, plyPath, manifest.LabelCount);
            actualHash = Convert.ToHexStringLower(sha.Hash!);
        }
        if (!string.Equals(actualHash, expectedHash, StringComparison.OrdinalIgnoreCase))
            throw new MapFormatException(plyPath, $"checksum mismatch: map.yaml says sha256 {expectedHash}, the file has {actualHash}");
        foreach (var (name, hash) in manifest.Files.Where(f => f.Key != GaussiansFile))
        {
            string path = Path.Combine(directory, name);
            string actual = HashFile(path);
            if (!string.Equals(actual, hash, StringComparison.OrdinalIgnoreCase))
                throw new MapFormatException(path, $"checksum mismatch: map.yaml says sha256 {hash}, the file has {actual}");
        }
        if (gaussians.Count != manifest.GaussianCount)
            throw new MapFormatException(plyPath, $"count mismatch: map.yaml says {manifest.GaussianCount} Gaussians, the file has {gaussians.Count}");
        string? problem = gaussians.FindProblem();
        if (problem is not null)
            throw new MapFormatException(plyPath, problem);
        KeyframeDatabase? keyframes = null;
        if (manifest.Files.ContainsKey(KeyframeDatabase.FileName))
        {
            string path = Path.Combine(directory, KeyframeDatabase.FileName);
            using var file = File.OpenRead(path);
            keyframes = KeyframeDatabase.Read(file, path);
        }
        return new PrivacyMap(manifest.FrameId, gaussians, manifest.Provenance)
        {
            Keyframes = keyframes,
            SegmenterDefinition = ReadText(directory, manifest, SegmenterFile),
            BuildReport = ReadText(directory, manifest, ReportFile),
        };
    }

    private static string? ReadText(string directory, MapManifest manifest, string name) =>
        manifest.Files.ContainsKey(name) ? File.ReadAllText(Path.Combine(directory, name)) : null;

    /// <summary>
    /// Writes <paramref name="map"/> to <paramref name="directory"/> atomically: either the whole new
    /// map is there afterwards, or (on failure) whatever was there before is left untouched. An
    /// existing directory is only replaced if it is a Mosaic map (has map.yaml) or is empty.
    /// </summary>
    public static void Save(PrivacyMap map, string directory)
    {
        string? problem = map.Gaussians.FindProblem();
        if (problem is not null)
            throw new ArgumentException($"refusing to save an invalid map: {problem}", nameof(map));
        string target = Path.GetFullPath(directory.TrimEnd(Path.DirectorySeparatorChar));
        if (Directory.Exists(target) && !File.Exists(Path.Combine(target, ManifestFile)) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target}: refusing to replace a non-empty directory that is not a Mosaic map");
        string parent = Path.GetDirectoryName(target) ?? ".";
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            string plyPath = Path.Combine(temp, GaussiansFile);
            using (var file = new FileStream(plyPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                GaussianPly.Write(file, map.Gaussians);
                file.Flush(flushToDisk: true);
            }
            var manifest = new MapManifest
            {
                FrameId = map.FrameId,
                LabelCount = map.Gaussians.LabelCount,
                GaussianCount = map.Gaussians.Count,
                Provenance = map.Provenance,
                Files = { [GaussiansFile] = HashFile(plyPath) },
            };
            if (map.Keyframes is not null)
            {
                string path = Path.Combine(temp, KeyframeDatabase.FileName);
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                {
                    map.Keyframes.Write(file);
                    file.Flush(flushToDisk: true);
                }
                manifest.Files[KeyframeDatabase.FileName] = HashFile(path);
            }
            WriteText(temp, SegmenterFile, map.SegmenterDefinition, manifest);
            WriteText(temp, ReportFile, map.BuildReport, manifest);
            using (var file = new FileStream(Path.Combine(temp, ManifestFile), FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(file))
            {
                writer.Write("# Mosaic privacy map: geometry and labels only (see README, 'The privacy map')\n");
                Serializer.Serialize(writer, manifest);
                writer.Flush();
                file.Flush(flushToDisk: true);
            }
            SwapInto(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static void WriteText(string directory, string name, string? text, MapManifest manifest)
    {
        if (text is null)
            return;
        string path = Path.Combine(directory, name);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        manifest.Files[name] = HashFile(path);
    }

    private static void SwapInto(string temp, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }
        string old = temp + ".old";
        Directory.Move(target, old);
        try
        {
            Directory.Move(temp, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }
        Directory.Delete(old, recursive: true);
    }

    private static MapManifest ReadManifest(string path)
    {
        if (!File.Exists(path))
            throw new MapFormatException(path, "missing (every Mosaic map directory has a map.yaml)");
        MapManifest? manifest;
        try
        {
            using var reader = new StreamReader(path);
            manifest = Deserializer.Deserialize<MapManifest>(reader);
        }
        catch (YamlException e)
        {
            string detail = e.InnerException?.Message ?? e.Message;
            throw new MapFormatException(path, $"line {e.Start.Line}, column {e.Start.Column}: {detail}", e);
        }
        if (manifest is null)
            throw new MapFormatException(path, "file is empty");
        if (manifest.Format != MapManifest.FormatName)
            throw new MapFormatException(path, $"format is '{manifest.Format}', expected '{MapManifest.FormatName}'");
        if (manifest.Version != MapManifest.CurrentVersion)
            throw new MapFormatException(path, $"version {manifest.Version} is not supported (this build reads version {MapManifest.CurrentVersion})");
        if (string.IsNullOrWhiteSpace(manifest.FrameId))
            throw new MapFormatException(path, "frame_id is empty");
        if (manifest.LabelCount < 1 || manifest.LabelCount > Imaging.Labels.MaxLabelCount)
            throw new MapFormatException(path, $"label_count {manifest.LabelCount} must be in [1, {Imaging.Labels.MaxLabelCount}]");
        if (manifest.GaussianCount < 0 || manifest.GaussianCount > int.MaxValue)
            throw new MapFormatException(path, $"gaussian_count {manifest.GaussianCount} is out of range");
        return manifest;
    }

    private static string HashFile(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
