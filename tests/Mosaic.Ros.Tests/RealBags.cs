namespace Mosaic.Ros.Tests;

/// <summary>Every recording under ../shared/data/bags, as a path <see cref="Bags.Rosbag2Reader.Open"/> accepts.</summary>
internal static class RealBags
{
    /// <summary>Bag directories (with metadata.yaml) and bare storage files not inside one.</summary>
    public static IReadOnlyList<string> All()
    {
        string root = SharedData.Path("bags");
        var directories = Directory.EnumerateFiles(root, "metadata.yaml", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetDirectoryName(f)!).ToHashSet();
        var bare = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".mcap", StringComparison.Ordinal) || f.EndsWith(".db3", StringComparison.Ordinal))
            .Where(f => !directories.Contains(System.IO.Path.GetDirectoryName(f)!));
        return directories.Concat(bare).Order(StringComparer.Ordinal).ToList();
    }

    public static string Relative(string path) => System.IO.Path.GetRelativePath(SharedData.Path("bags"), path);
}
