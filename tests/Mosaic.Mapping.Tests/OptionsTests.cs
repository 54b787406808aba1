using Mosaic.Ros.Tests;

namespace Mosaic.Mapping.Tests;

public sealed class OptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string RepositoryConfig()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Node.sln")))
            directory = directory.Parent;
        return Path.Combine(directory.FullName, "config", "mapping.yaml");
    }

    [Fact]
    public void Config_mapping_yaml_lists_every_parameter_with_its_default()
    {
        var text = File.ReadAllText(RepositoryConfig());
        var defaults = new MappingOptions().Flatten();
        foreach (var name in defaults.Keys)
            Assert.Contains(name.Split('.')[^1] + ":", text);
        Assert.Equal(defaults, MappingOptions.Load([RepositoryConfig()], []).Flatten());
    }

    [Fact]
    public void Unknown_parameters_are_errors_naming_the_line()
    {
        string path = _temp.Combine("bad.yaml");
        File.WriteAllText(path, "mosaic_map_builder:\n  ros__parameters:\n    fusion:\n      voxel: 0.02\n");
        var e = Assert.Throws<FormatException>(() => MappingOptions.Load([path], []));
        Assert.Contains("bad.yaml: line 4", e.Message);
        Assert.Contains("voxel", e.Message);
    }

    [Theory]
    [InlineData("fusion:\n      voxel_size: -1", "fusion.voxel_size")]
    [InlineData("pose:\n      source: gps", "pose.source 'gps'")]
    [InlineData("pose:\n      source: tum", "pose.tum_file")]
    [InlineData("segmenter:\n      label_count: 1", "label_count 1")]
    [InlineData("uplifting:\n      second_label_share: 0.5", "uplifting.second_label_share 0.5")]
    [InlineData("segmenter:\n      context_taps: [8, 100]", "segmenter.context_taps [8, 100]")]
    public void Values_out_of_range_are_errors_naming_the_parameter(string section, string expected)
    {
        string path = _temp.Combine("range.yaml");
        File.WriteAllText(path, $"/**:\n  ros__parameters:\n    {section}\n");
        var e = Assert.Throws<ArgumentException>(() => MappingOptions.Load([path], []));
        Assert.Contains(expected, e.Message);
        Assert.Contains("range.yaml", e.Message);
    }

    [Fact]
    public void A_setting_given_on_the_command_line_wins_over_the_files()
    {
        string seeds = _temp.Combine("seed3.yaml");
        File.WriteAllText(seeds, "mosaic_map_builder:\n  ros__parameters:\n    segmenter:\n      seed: 3\n      rounds: 4\n");

        var options = MappingOptions.Load([RepositoryConfig(), seeds], [("segmenter.seed", "2"), ("keyframes.min_translation", "0")]);

        var expected = MappingOptions.Load([RepositoryConfig()], []).Flatten();
        (expected["segmenter.seed"], expected["segmenter.rounds"], expected["keyframes.min_translation"]) = ("2", "4", "0");
        Assert.Equal(expected, options.Flatten());
    }

    [Fact]
    public void A_file_without_the_builder_section_says_so()
    {
        string path = _temp.Combine("other.yaml");
        File.WriteAllText(path, "some_node:\n  ros__parameters: {}\n");
        var e = Assert.Throws<FormatException>(() => MappingOptions.Load([path], []));
        Assert.Contains("mosaic_map_builder", e.Message);
    }
}
