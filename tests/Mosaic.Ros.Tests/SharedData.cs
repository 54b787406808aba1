namespace Mosaic.Ros.Tests;

/// <summary>Locates ../shared/data (next to the repository root) for tests on real files.</summary>
internal static class SharedData
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Node.sln")))
        {
            directory = directory.Parent;
        }
        if (directory is null)
        {
            throw new DirectoryNotFoundException("cannot find the repository root (Node.sln) above " + AppContext.BaseDirectory);
        }
        string data = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory.FullName, "..", "shared", "data"));
        if (!Directory.Exists(data))
        {
            throw new DirectoryNotFoundException($"real test data not found at {data} (the project expects ../shared/data beside the repository)");
        }
        return data;
    }
}
