using Mosaic.Localization.Parameters;

namespace Mosaic.Localization.Tests;

/// <summary>ROS 2 parameter-file semantics (rclcpp parameter_map) as the node applies them.</summary>
public sealed class ParameterSetTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mosaic-paramset-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name, string yaml)
    {
        string path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [InlineData("/**", "/mosaic", true)]
    [InlineData("/**", "/robot1/mosaic", true)]
    [InlineData("mosaic", "/mosaic", true)]
    [InlineData("/mosaic", "/robot1/mosaic", false)]
    [InlineData("/*/mosaic", "/robot1/mosaic", true)]
    [InlineData("/*/mosaic", "/mosaic", false)]
    [InlineData("/*/mosaic", "/a/b/mosaic", false)]
    [InlineData("/**/mosaic", "/a/b/mosaic", true)]
    [InlineData("/**/mosaic", "/mosaic", true)]
    [InlineData("/robot1/*", "/robot1/mosaic", true)]
    [InlineData("/robot1/*", "/robot2/mosaic", false)]
    [InlineData("mosaic_map_builder", "/mosaic", false)]
    public void Node_keys_match_fully_qualified_names_with_wildcards(string key, string node, bool matches) =>
        Assert.Equal(matches, ParameterSet.NodeKeyMatches(key, node));

    [Fact]
    public void Later_files_and_then_overrides_win()
    {
        string first = File("first.yaml", "/**:\n  ros__parameters:\n    map: /maps/a\n    localizer:\n      min_coverage: 0.3\n      max_loss: 2.0\n");
        string second = File("second.yaml", "mosaic:\n  ros__parameters:\n    localizer:\n      min_coverage: 0.5\n");

        var set = ParameterSet.Load([first, second], [("localizer.max_loss", "4")], "/mosaic");
        var parameters = set.Bind<LocalizationParameters>(p => p.Validate());

        Assert.Equal("/maps/a", parameters.Map);
        Assert.Equal(0.5, parameters.Localizer.MinCoverage);
        Assert.Equal(4.0, parameters.Localizer.MaxLoss);
        Assert.Equal("-p localizer.max_loss:=4", set.Values["localizer.max_loss"].Source);
    }

    [Fact]
    public void Namespaces_may_nest_above_ros_parameters_and_dotted_keys_equal_nested_maps()
    {
        string path = File("nested.yaml",
            "robot1:\n  mosaic:\n    ros__parameters:\n      localizer.min_coverage: 0.25\n      publish:\n        tf: false\n" +
            "robot2:\n  mosaic:\n    ros__parameters:\n      localizer.min_coverage: 0.75\n");

        var parameters = ParameterSet.Load([path], [], "/robot1/mosaic").Bind<LocalizationParameters>(p => p.Validate());

        Assert.Equal(0.25, parameters.Localizer.MinCoverage);
        Assert.False(parameters.Publish.Tf);
    }

    [Fact]
    public void Sections_for_other_nodes_are_ignored()
    {
        string path = File("other.yaml", "amcl:\n  ros__parameters:\n    laser_model_type: likelihood_field\n");
        var set = ParameterSet.Load([path], [("map", "/maps/a")], "/mosaic");
        Assert.False(set.HasSection);
        Assert.Equal(["map"], set.Values.Keys);
    }

    [Fact]
    public void Unknown_parameters_are_collected_with_their_place_or_refused()
    {
        string path = File("unknown.yaml", "/**:\n  ros__parameters:\n    use_sim_time: true\n    localizer:\n      min_coverag: 0.3\n");
        var set = ParameterSet.Load([path], [], "/mosaic");

        var unknown = new List<ParameterValue>();
        var parameters = set.Bind<LocalizationParameters>(p => p.Validate(), unknown);

        Assert.True(parameters.UseSimTime);
        var only = Assert.Single(unknown);
        Assert.Equal("localizer.min_coverag", only.Name);
        Assert.Contains("unknown.yaml: line 5", only.Source);
        var e = Assert.Throws<FormatException>(() => set.Bind<LocalizationParameters>(p => p.Validate()));
        Assert.Contains("min_coverag", e.Message);
    }

    [Theory]
    [InlineData("localizer.min_coverage", "lots", "expects a number, got 'lots'")]
    [InlineData("localizer.retrieval_candidates", "2.5", "expects an integer")]
    [InlineData("publish.tf", "maybe", "expects true or false")]
    [InlineData("localizer", "3", "is a group of parameters")]
    [InlineData("localizer.max_loss", "[1, 2]", "expects a number, not a list")]
    public void Values_of_the_wrong_type_name_the_parameter_and_where_it_was_set(string name, string value, string expected)
    {
        var set = ParameterSet.Load([], [(name, value)], "/mosaic");
        var e = Assert.Throws<FormatException>(() => set.Bind<LocalizationParameters>(p => p.Validate()));
        Assert.Contains(expected, e.Message);
        Assert.Contains($"-p {name}:={value}", e.Message);
    }

    [Fact]
    public void Out_of_range_values_are_reported_with_the_sources()
    {
        var set = ParameterSet.Load([], [("publish.diagnostics_period", "0")], "/mosaic");
        var e = Assert.Throws<ArgumentException>(() => set.Bind<LocalizationParameters>(p => p.Validate()));
        Assert.Contains("publish.diagnostics_period 0 must be positive", e.Message);
        Assert.Contains("-p publish.diagnostics_period:=0", e.Message);
    }

    [Theory]
    [InlineData("0.02")]
    [InlineData("Infinity")]
    public void A_most_learnt_odometry_drift_below_the_assumed_one_or_infinite_is_refused(string value)
    {
        var set = ParameterSet.Load([], [("localizer.odometry_drift_max", value)], "/mosaic");
        var e = Assert.Throws<ArgumentException>(() => set.Bind<LocalizationParameters>(p => p.Validate()));
        Assert.Contains("localizer.odometry_drift_max", e.Message);
        Assert.Contains("at least odometry_drift 0.05", e.Message);
        Assert.Equal(0.05, ParameterSet.Load([], [("localizer.odometry_drift_max", "0.05")], "/mosaic").Bind<LocalizationParameters>(p => p.Validate()).Localizer.OdometryDriftMax);
    }

    [Fact]
    public void Broken_files_are_named()
    {
        var missing = Assert.Throws<FormatException>(() => ParameterSet.Load([Path.Combine(_directory, "none.yaml")], [], "/mosaic"));
        Assert.Contains("none.yaml: parameter file not found", missing.Message);
        string bad = File("bad.yaml", "mosaic:\n  ros__parameters: [1, 2\n");
        var syntax = Assert.Throws<FormatException>(() => ParameterSet.Load([bad], [], "/mosaic"));
        Assert.Contains("bad.yaml: line", syntax.Message);
        string shape = File("shape.yaml", "mosaic: 3\n");
        var notSection = Assert.Throws<FormatException>(() => ParameterSet.Load([shape], [], "/mosaic"));
        Assert.Contains("'mosaic' is not a node section", notSection.Message);
    }
}
