namespace Mosaic.Ros.Tests;

/// <summary>Locates the repository root and ../shared/data (next to it) for tests on real files.</summary>
internal static class SharedData
{
    /// <summary>The repository root (the folder holding Node.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>../shared/data beside the repository.</summary>
    public static string Root { get; } = FindData();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Node.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new DirectoryNotFoundException("cannot find the repository root (Node.sln) above " + AppContext.BaseDirectory);
    }

    private static string FindData()
    {
        string data = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared", "data"));
        if (!Directory.Exists(data))
        {
            throw new DirectoryNotFoundException($"real test data not found at {data} (the project expects ../shared/data beside the repository)");
        }
        return data;
    }
}
