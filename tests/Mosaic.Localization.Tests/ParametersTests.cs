using Mosaic.Localization.Parameters;

namespace Mosaic.Localization.Tests;

public sealed class ParametersTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mosaic-params-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string RepositoryConfig()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Node.sln")))
            directory = directory.Parent;
        return Path.Combine(directory.FullName, "config", "mosaic.yaml");
    }

    [Fact]
    public void Config_mosaic_yaml_lists_every_parameter_with_its_default()
    {
        var defaults = ParameterFile.Flatten(new LocalizationParameters());
        string text = File.ReadAllText(RepositoryConfig());
        foreach (var name in defaults.Keys)
            Assert.Contains(name.Split('.')[^1] + ":", text);
        Assert.Equal(defaults, ParameterFile.Flatten(LocalizationParameters.Load([RepositoryConfig()], [])));
    }

    [Fact]
    public void Values_and_the_wildcard_node_key_are_read()
    {
        string path = Path.Combine(_directory, "mine.yaml");
        File.WriteAllText(path, "/**:\n  ros__parameters:\n    topics:\n      image: /cam/image\n    localizer:\n      min_coverage: 0.3\n      retrieval_candidates: 5\n");

        var parameters = LocalizationParameters.Load([path], []);

        Assert.Equal("/cam/image", parameters.Topics.Image);
        Assert.Equal(0.3, parameters.Localizer.MinCoverage);
        Assert.Equal(5, parameters.Localizer.RetrievalCandidates);
        Assert.Equal(new LocalizerOptions().MaxLoss, parameters.Localizer.MaxLoss);
    }

    [Fact]
    public void Several_files_are_read_in_order_and_overrides_win_over_them()
    {
        string first = Path.Combine(_directory, "robot.yaml"), second = Path.Combine(_directory, "site.yaml");
        File.WriteAllText(first, "mosaic:\n  ros__parameters:\n    topics:\n      image: /cam/image\n    localizer:\n      min_coverage: 0.3\n      max_loss: 2.5\n");
        File.WriteAllText(second, "/**:\n  ros__parameters:\n    localizer:\n      min_coverage: 0.35\n");

        var parameters = LocalizationParameters.Load([first, second],
            [ParameterSet.SplitAssignment("-p", "localizer.max_loss:=2.6"), ParameterSet.SplitAssignment("-p", "topics.depth:=/cam/depth")]);

        Assert.Equal("/cam/image", parameters.Topics.Image);
        Assert.Equal(0.35, parameters.Localizer.MinCoverage);
        Assert.Equal(2.6, parameters.Localizer.MaxLoss);
        Assert.Equal("/cam/depth", parameters.Topics.Depth);
        Assert.Equal(ParameterFile.Flatten(new LocalizationParameters()), ParameterFile.Flatten(LocalizationParameters.Load([], [])));
    }

    [Fact]
    public void Overrides_are_checked_like_file_values_and_name_themselves_in_errors()
    {
        Assert.Contains("-p localizer.max_los:=3: unknown parameter 'localizer.max_los'",
            Assert.Throws<FormatException>(() => LocalizationParameters.Load([], [("localizer.max_los", "3")])).Message);
        Assert.Contains("-p localizer.min_coverage:=lots",
            Assert.Throws<FormatException>(() => LocalizationParameters.Load([], [("localizer.min_coverage", "lots")])).Message);
        Assert.Contains("-p localizer.hypothesis_max_iterations:=0: localizer.hypothesis_max_iterations 0 must be at least 1",
            Assert.Throws<ArgumentException>(() => LocalizationParameters.Load([], [("localizer.hypothesis_max_iterations", "0")])).Message);
        Assert.Contains("-p localizer.max_loss: expected name:=value",
            Assert.Throws<ArgumentException>(() => ParameterSet.SplitAssignment("-p", "localizer.max_loss")).Message);
        Assert.Equal(("a", "b:=c"), ParameterSet.SplitAssignment("-p", "a:=b:=c"));

        string other = Path.Combine(_directory, "other.yaml");
        File.WriteAllText(other, "some_other_node:\n  ros__parameters:\n    x: 1\n");
        Assert.Contains("other.yaml: no 'mosaic: ros__parameters:' (or '/**') section",
            Assert.Throws<FormatException>(() => LocalizationParameters.Load([other], [])).Message);
    }

    [Theory]
    [InlineData(32, 2.775, false)] // 80 % of log 32: the measured default
    [InlineData(32, 3.0, false)]  // 87 %: the default for maps of one label per Gaussian
    [InlineData(16, 3.0, true)]  // above log 16 = 2.77: wrong poses pass
    [InlineData(16, 2.4, false)]
    [InlineData(64, 3.0, false)]
    public void A_loss_gate_near_chance_for_the_maps_label_count_is_warned_about(int labelCount, double maxLoss, bool warned)
    {
        var warnings = new LocalizerOptions { MaxLoss = maxLoss }.Warnings(labelCount, secondLabels: true);

        Assert.Equal(warned, warnings.Count == 1);
        if (warned)
            Assert.Contains($"localizer.max_loss 3 nats is 108 % of chance for a map of 16 labels (log 16 = 2.77 nats)", warnings[0]);
    }

    [Theory]
    [InlineData(true, 2.775, false)]
    [InlineData(false, 2.775, true)] // the default gate, measured for second labels, on a map without them
    [InlineData(false, 3.0, false)] // the gate measured for such maps
    public void A_gate_set_for_second_labels_is_warned_about_on_a_map_without_them(bool secondLabels, double maxLoss, bool warned)
    {
        var warnings = new LocalizerOptions { MaxLoss = maxLoss }.Warnings(32, secondLabels);

        Assert.Equal(warned, warnings.Count == 1);
        if (warned)
        {
            Assert.Contains("the map has one label per Gaussian", warnings[0]);
            Assert.Contains("set it to 3 for this map", warnings[0]);
        }
    }

    [Fact]
    public void Unknown_and_out_of_range_parameters_are_errors_naming_them()
    {
        string path = Path.Combine(_directory, "bad.yaml");
        File.WriteAllText(path, "mosaic:\n  ros__parameters:\n    localizer:\n      min_coverag: 0.3\n");
        var unknown = Assert.Throws<FormatException>(() => LocalizationParameters.Load([path], []));
        Assert.Contains("line 4", unknown.Message);
        Assert.Contains("min_coverag", unknown.Message);

        File.WriteAllText(path, "/**:\n  ros__parameters:\n    odometry:\n      source: wheels\n");
        var range = Assert.Throws<ArgumentException>(() => LocalizationParameters.Load([path], []));
        Assert.Contains("odometry.source 'wheels'", range.Message);
        Assert.Contains("bad.yaml", range.Message);

        File.WriteAllText(path, "/**:\n  ros__parameters:\n    localizer:\n      hypothesis_max_iterations: 0\n");
        Assert.Contains("localizer.hypothesis_max_iterations 0 must be at least 1", Assert.Throws<ArgumentException>(() => LocalizationParameters.Load([path], [])).Message);
        File.WriteAllText(path, "/**:\n  ros__parameters:\n    localizer:\n      coarse_map_voxel: -0.04\n");
        Assert.Contains("localizer.coarse_map_voxel -0.04 must be a length of at least 0", Assert.Throws<ArgumentException>(() => LocalizationParameters.Load([path], [])).Message);
        File.WriteAllText(path, "/**:\n  ros__parameters:\n    localizer:\n      coarse_map_level: 0\n");
        Assert.Contains("localizer.coarse_map_level 0 must be in [1, 8]", Assert.Throws<ArgumentException>(() => LocalizationParameters.Load([path], [])).Message);
        File.WriteAllText(path, "/**:\n  ros__parameters:\n    localizer:\n      tracking_coarsest_level: 5\n");
        Assert.Contains("localizer.tracking_coarsest_level 5 must be in [finest_level, coarsest_level] = [2, 4]",
            Assert.Throws<ArgumentException>(() => LocalizationParameters.Load([path], [])).Message);
    }
}
