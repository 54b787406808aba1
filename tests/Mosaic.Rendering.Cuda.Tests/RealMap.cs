using Mosaic.Core.Cameras;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Mapping;

namespace Mosaic.Rendering.Cuda.Tests;

/// <summary>
/// A real map: built once from the mapping part of the committed redkitchen sample
/// (tests/data/README.md), with queries made from its own keyframe poses.
/// </summary>
public sealed class RealMap
{
    public PrivacyMap Map { get; }

    public RealMap()
    {
        string root = FindRoot();
        var options = MappingOptions.Load([Path.Combine(root, "config", "mapping.yaml")], []);
        options.Pose.Source = "tum";
        options.Pose.TumFile = Path.Combine(root, "tests", "data", "redkitchen-sample.tum");
        options.Pose.BodyFrame = "";
        options.Sync.End = 9.99;
        Map = new MapBuilder(options).Build(Path.Combine(root, "tests", "data", "redkitchen-sample")).Map;
    }

    public PinholeCamera Camera => Map.Keyframes!.Camera;

    /// <summary>The map's hard labels rendered at keyframe <paramref name="index"/>: a query whose labels agree with the map.</summary>
    public LabelDistributionImage QueryAt(int index)
    {
        var renderer = new CpuLabelRenderer<float>(Map.Gaussians);
        var camFromMap = Map.Keyframes!.Keyframes[index].MapFromCamera.Inverse();
        return LabelDistributionImage.FromLabels(renderer.Render(camFromMap, Camera).HardLabels(), Map.Gaussians.LabelCount);
    }

    private static string FindRoot()
    {
        // From the test assembly, not the base directory, which is the runner's under xUnit's console runner.
        string start = Path.GetDirectoryName(typeof(RealMap).Assembly.Location)!;
        var directory = new DirectoryInfo(start);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Node.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new DirectoryNotFoundException("cannot find the repository root (Node.sln) above " + start);
    }
}

[CollectionDefinition(nameof(RealMap))]
public sealed class RealMapCollection : ICollectionFixture<RealMap>;
