using Mosaic.Core.Maps;
using Mosaic.Mapping;
using Mosaic.Ros.Tests;

namespace Mosaic.Evaluation.Tests;

/// <summary>The committed redkitchen sample (tests/data/README.md) and a map built once from its mapping part.</summary>
public sealed class Sample : IDisposable
{
    private readonly TempDirectory _temp = new();

    /// <summary>Frames 300-595 start here (seconds from the bag start).</summary>
    public const double QueryStart = 10;

    public static string Root { get; } = FindRoot();

    public static string Bag => Path.Combine(Root, "tests", "data", "redkitchen-sample");

    public static string Tum => Bag + ".tum";

    public PrivacyMap Map { get; }

    /// <summary>The map's directory.</summary>
    public string MapPath => _temp.Combine("map");

    public Sample()
    {
        var options = MappingOptions.Load([Path.Combine(Root, "config", "mapping.yaml")], []);
        options.Pose.Source = "tum";
        options.Pose.TumFile = Tum;
        options.Pose.BodyFrame = "";
        options.Sync.End = QueryStart - 0.01;
        var built = new MapBuilder(options).Build(Bag);
        MapDirectory.Save(built.Map, _temp.Combine("map"));
        Map = MapDirectory.Load(_temp.Combine("map"));
    }

    public void Dispose() => _temp.Dispose();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Node.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new DirectoryNotFoundException("cannot find the repository root (Node.sln) above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(nameof(Sample))]
public sealed class SampleCollection : ICollectionFixture<Sample>;
