using System.CommandLine;
using System.Globalization;
using Mosaic.Core.Maps;
using Mosaic.Mapping;
using Spectre.Console;
using static Mosaic.Cli.Units;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic map build | info | export | evaluate | label-agreement | check-poses</c>: making and inspecting privacy maps.</summary>
internal static class MapCommand
{
    public static Command Create() => new("map", "Build privacy maps from recorded drives and inspect them.")
    {
        Build(),
        Info(),
        Export(),
        MapEvaluateCommand.Create(),
        LabelAgreementCommand(),
        MapCheckPosesCommand.Create(),
    };

    private static Command LabelAgreementCommand()
    {
        var map = new Option<string>("--map") { Description = "Map directory.", Required = true };
        var bag = new Option<string>("--bag") { Description = "Query drive with ground-truth poses (the pose source of --params / --tum); may be the mapping drive.", Required = true };
        var parameters = ParamsOption();
        var tum = TumOption();
        var body = BodyFrameOption();
        var start = new Option<double?>("--start") { Description = "Query window start, seconds from the bag start." };
        var end = new Option<double?>("--end") { Description = "Query window end, seconds from the bag start." };
        var step = new Option<int>("--step") { Description = "Measure every n-th frame of the window.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Directory for frames.csv (each frame's figures) and agreement.svg (them over time)." };
        var command = new Command("label-agreement",
            "How often the map's segmenter labels a query pixel as the map does at the true pose, and, from the query's depth, how often a segmenter " +
            "that labelled every surface as the map does would (frames that are keyframes of the map are skipped).")
        {
            map, bag, parameters.Files, parameters.Overrides, tum, body, start, end, step, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(step) < 1)
                    throw new ArgumentException("--step must be at least 1");
                var options = LoadOptions(parameters.Read(parse), parse.GetValue(tum), parse.GetValue(body), parse.GetValue(start), parse.GetValue(end));
                var privacyMap = MapDirectory.Load(parse.GetValue(map)!);
                LabelAgreementResult? result = null;
                var warnings = new List<string>();
                AnsiConsole.Progress().Start(context =>
                {
                    var task = context.AddTask("segmenting and rendering query frames", maxValue: 1);
                    result = LabelAgreement.Measure(privacyMap, parse.GetValue(bag)!, options, parse.GetValue(step), new InlineProgress<double>(p => task.Value = p), warnings.Add);
                    task.Value = 1;
                });
                var kind = Localization.Segmentation.Segmenters.Load(privacyMap.SegmenterDefinition!, "segmenter.yaml").GetType().Name;
                AnsiConsole.MarkupLine($"{result!.Frames} query frames, K = {privacyMap.Gaussians.LabelCount}, segmenter {kind}");
                var grid = new Grid().AddColumn().AddColumn();
                AddAgreementRows(grid, result, privacyMap.Gaussians.LabelCount);
                var frames = result.PerFrame.Select(f => f.Agreement).Where(double.IsFinite).Order().ToArray();
                if (frames.Length > 0)
                    grid.AddRow("Per frame:", string.Create(CultureInfo.InvariantCulture,
                        $"worst {frames[0]:P1}, 10th percentile {frames[frames.Length / 10]:P1}, median {frames[frames.Length / 2]:P1}, best {frames[^1]:P1}"));
                AnsiConsole.Write(grid);
                PrintWarnings(warnings);
                if (parse.GetValue(output) is { } outDir)
                {
                    WritePerFrame(result.PerFrame, outDir);
                    AnsiConsole.MarkupLine(Markup.Escape($"Wrote {Path.Combine(outDir, "frames.csv")} and agreement.svg"));
                }
                return 0;
            }
            catch (Exception e) when (e is MappingInputException or MapFormatException or IOException or FormatException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary><c>frames.csv</c> and <c>agreement.svg</c>: each frame's agreement, coverage and best possible agreement.</summary>
    private static void WritePerFrame(IReadOnlyList<FrameAgreement> frames, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var csv = new System.Text.StringBuilder("stamp,agreement,coverage,best_possible,segmenter_on_surface\n");
        foreach (var f in frames)
            csv.Append(CultureInfo.InvariantCulture, $"{StampSeconds(f.Stamp)},{f.Agreement:F4},{f.Coverage:F4},{f.BestPossible:F4},{f.SegmenterOnSurface:F4}\n");
        File.WriteAllText(Path.Combine(outDir, "frames.csv"), csv.ToString());
        double t0 = frames.Count == 0 ? 0 : frames[0].Stamp;
        List<(double, double)> Series(Func<FrameAgreement, double> value) => frames.Select(f => ((f.Stamp - t0) / 1e9, value(f) * 100)).ToList();
        var chart = new Evaluation.SvgChart { Title = "Label agreement per query frame", XLabel = "s from the first frame measured", YLabel = "% of pixels", YRange = (0, 100) }
            .Line("agreement (segmenter vs map at the true pose)", "#1f77b4", Series(f => f.Agreement))
            .Line("best possible (map's labels at the measured surfaces)", "#2ca02c", Series(f => f.BestPossible))
            .Line("map coverage", "#7f7f7f", Series(f => f.Coverage));
        File.WriteAllText(Path.Combine(outDir, "agreement.svg"), chart.ToSvg());
    }

    /// <summary>The agreement, coverage and effective-label rows shared by <c>map evaluate</c> and <c>map label-agreement</c>.</summary>
    internal static void AddAgreementRows(Grid grid, LabelAgreementResult r, int k)
    {
        grid.AddRow("Label agreement:", $"[bold]{r.Agreement:P1}[/] of pixels labelled in both (segmented query vs map rendered at the true pose)");
        grid.AddRow("Cohen's kappa:", string.Create(CultureInfo.InvariantCulture, $"{r.Kappa:F3} (agreement beyond chance for these label frequencies)"));
        grid.AddRow("Coverage:", $"{r.Coverage:P1} of pixels rendered from the map");
        grid.AddRow("Labels used:", string.Create(CultureInfo.InvariantCulture, $"{r.EffectiveLabels:F1} of {k} effective (exp of the query label entropy; fewer labels make agreement easier)"));
        grid.AddRow("By boundary distance:", string.Join(", ", r.ByBoundaryDistance.Select(b =>
            string.Create(CultureInfo.InvariantCulture, $"{Range(b.From, b.To)} {b.Agreement:P1} ({b.Share:P1})")))
            + " (agreement by distance to the render's nearest label change; share of pixels in brackets)");
        if (r.BestPossible is { } s)
        {
            grid.AddRow("Best possible:", $"[bold]{s.Agreement:P1}[/] on the {s.Share:P1} of these pixels whose depth lands on the map (the map's own label at that surface vs the render)");
            grid.AddRow("Segmenter there:", $"{s.SegmenterAgreement:P1} on the same pixels");
        }
    }

    private static string Range(int from, int to) => to == int.MaxValue ? $"> {from - 1} px" : from == to ? $"{from} px" : $"{from}-{to} px";

    /// <summary>The defaults, the --params files and -p overrides, then the command's own options (--tum, --body-frame, --start, --end).</summary>
    internal static MappingOptions LoadOptions(
        (IReadOnlyList<string> Files, IReadOnlyList<(string Name, string Value)> Overrides) parameters, string? tum, string? bodyFrame, double? start, double? end)
    {
        var options = MappingOptions.Load(parameters.Files, parameters.Overrides);
        if (tum is not null)
        {
            options.Pose.Source = "tum";
            options.Pose.TumFile = tum;
        }
        if (bodyFrame is not null)
            options.Pose.BodyFrame = bodyFrame;
        if (start is double s)
            options.Sync.Start = s;
        if (end is double e)
            options.Sync.End = e;
        options.Validate();
        return options;
    }

    internal static ParameterOptions ParamsOption() => new("Mapping parameter file (ROS 2 params YAML, see config/mapping.yaml).");
    internal static Option<string?> TumOption() => new("--tum") { Description = "Take camera poses from this TUM trajectory (sets pose.source: tum)." };
    internal static Option<string?> BodyFrameOption() => new("--body-frame") { Description = "Frame the poses are of (pose.body_frame; empty string = the colour camera frame)." };

    private static Command Build()
    {
        var bag = new Option<string>("--bag") { Description = "The recorded drive (rosbag2 directory or file).", Required = true };
        var output = new Option<string>("--out") { Description = "Map directory to write (replaced atomically if it is a map).", Required = true };
        var parameters = ParamsOption();
        var tum = TumOption();
        var body = BodyFrameOption();
        var start = new Option<double?>("--start") { Description = "Seconds from the bag start where mapping begins (sync.start)." };
        var end = new Option<double?>("--end") { Description = "Seconds from the bag start where mapping ends (sync.end)." };
        var command = new Command("build", "Build a privacy map from an RGB-D drive: depth fusion, segmenter, label uplifting, retrieval database.")
        {
            bag, output, parameters.Files, parameters.Overrides, tum, body, start, end,
        };
        command.SetAction(parse =>
        {
            string outDir = parse.GetValue(output)!;
            try
            {
                var options = LoadOptions(parameters.Read(parse), parse.GetValue(tum), parse.GetValue(body), parse.GetValue(start), parse.GetValue(end));
                CheckWritable(outDir);
                BuildResult? result = null;
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(context =>
                    {
                        var tasks = MapBuilder.Stages.ToDictionary(s => s, s => context.AddTask(s, autoStart: false, maxValue: 1));
                        var builder = new MapBuilder(options);
                        result = builder.Build(parse.GetValue(bag)!, new InlineProgress<BuildProgress>(p =>
                        {
                            var task = tasks[p.Stage];
                            if (!task.IsStarted)
                                task.StartTask();
                            task.Value = p.Fraction;
                            if (p.Fraction >= 1)
                                task.StopTask();
                        }));
                    });
                MapDirectory.Save(result!.Map, outDir);
                PrintReport(result.Report, outDir);
                return 0;
            }
            catch (Exception e) when (e is MappingInputException or IOException or FormatException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>What <c>map info</c> says of a stored segmenter: its kind and shape, or why it cannot be read.</summary>
    private static string DescribeSegmenter(string definition)
    {
        try
        {
            return Localization.Segmentation.Segmenters.Load(definition, "segmenter.yaml") switch
            {
                Localization.Segmentation.LearnedSegmenter l => string.Create(CultureInfo.InvariantCulture,
                    $"learned, {l.FeatureCount} features ({(l.ContextTaps.Count == 0 ? "no context taps" : $"context taps at {string.Join(", ", l.ContextTaps)} px")}) → " +
                    $"{l.HiddenCount} hidden → {l.LabelCount} labels at pyramid level {l.Level}, output smoothing {l.OutputSmoothing} px"),
                var other => string.Create(CultureInfo.InvariantCulture, $"{other.GetType().Name}, {other.LabelCount} labels at pyramid level {other.Level}"),
            };
        }
        catch (FormatException e)
        {
            return $"unreadable: {e.Message}";
        }
    }

    /// <summary>Fails before any work when the map could not be written.</summary>
    private static void CheckWritable(string outDir)
    {
        string full = Path.GetFullPath(outDir);
        if (File.Exists(full))
            throw new IOException($"{full}: exists and is a file; --out must be a directory");
        if (Directory.Exists(full) && !File.Exists(Path.Combine(full, MapDirectory.ManifestFile)) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"{full}: exists, is not empty and is not a Mosaic map; refusing to replace it");
        string parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        string probe = Path.Combine(parent, $".mosaic-write-test-{Guid.NewGuid():N}");
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
    }

    private static void PrintReport(BuildReport report, string outDir)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Map:", Markup.Escape(Path.GetFullPath(outDir)));
        grid.AddRow("Frames:", $"{report.ColorImages} colour images, {report.Candidates} with depth and pose, {report.Keyframes} keyframes" +
            (report.UndecodableKeyframes > 0 ? $" ({report.UndecodableKeyframes} more left out: undecodable images)" : ""));
        if (report.SkippedWithoutDepth + report.SkippedWithoutPose > 0)
            grid.AddRow("Skipped:", $"[yellow]{report.SkippedWithoutDepth} without depth, {report.SkippedWithoutPose} without a pose[/]");
        var f = report.Fusion!;
        grid.AddRow("Fusion:", $"{f.Points:N0} points ({f.EdgePoints:N0} depth-edge pixels dropped), {f.Voxels:N0} voxels, " +
            $"{f.SparseVoxels:N0} sparse and {f.IsolatedVoxels:N0} isolated dropped");
        grid.AddRow("Gaussians:", $"[bold]{report.Gaussians:N0}[/] ({report.UnseenGaussians:N0} never seen removed, {report.RelabelledBySmoothing:N0} relabelled by smoothing, {report.SecondLabels:N0} with a second label), K = {report.LabelCount}");
        grid.AddRow("Coverage:", $"{report.KeyframeCoverage:P1} of keyframe pixels rendered from the map");
        grid.AddRow("Size:", FormatBytes(Directory.EnumerateFiles(outDir).Sum(p => new FileInfo(p).Length)));
        grid.AddRow("Time:", string.Join(", ", report.Timings.Select(t => $"{t.Stage} {t.Seconds:F1} s")) + $"; total {report.Timings.Sum(t => t.Seconds):F1} s");
        if (Units.PeakResidentBytes() is long peak)
            grid.AddRow("Peak memory:", FormatBytes(peak) + " (peak resident set, VmHWM)");
        AnsiConsole.Write(grid);
        PrintWarnings(report.Warnings, "all of them are in build_report.yaml");
    }

    /// <summary>Warnings printed at once; a damaged recording may give one per frame.</summary>
    private const int WarningsShown = 10;

    /// <summary>
    /// Prints <paramref name="warnings"/> in yellow, the first <see cref="WarningsShown"/> and then how
    /// many more (and <paramref name="whereAll"/>, where the rest can be read), so that they do not bury the result.
    /// </summary>
    internal static void PrintWarnings(IReadOnlyList<string> warnings, string? whereAll = null)
    {
        foreach (var w in warnings.Take(WarningsShown))
            AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
        if (warnings.Count > WarningsShown)
            AnsiConsole.MarkupLine($"[yellow]warning:[/] {warnings.Count - WarningsShown} more warnings{(whereAll is null ? "" : $" ({Markup.Escape(whereAll)})")}");
    }

    private static Command Info()
    {
        var map = new Argument<string>("map") { Description = "Map directory." };
        var command = new Command("info", "Counts, extent, label histogram, size and build parameters of a map.") { map };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(map)!;
            try
            {
                var m = MapDirectory.Load(dir);
                var g = m.Gaussians;
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("Frame:", Markup.Escape(m.FrameId));
                grid.AddRow("Gaussians:", g.Count.ToString("N0", CultureInfo.InvariantCulture));
                grid.AddRow("Labels K:", g.LabelCount.ToString(CultureInfo.InvariantCulture));
                int secondLabels = g.SecondLabelCount;
                grid.AddRow("Second labels:", secondLabels == 0 ? "none (one label per Gaussian)"
                    : $"{secondLabels:N0} Gaussians ({100.0 * secondLabels / g.Count:F1} %) carry a second label");
                if (g.Count > 0)
                {
                    string Axis(int a)
                    {
                        var values = Enumerable.Range(0, g.Count).Select(i => g.Positions[3 * i + a]);
                        return $"{"xyz"[a]} {values.Min():F2} .. {values.Max():F2}";
                    }
                    grid.AddRow("Extent (m):", string.Join(", ", Enumerable.Range(0, 3).Select(Axis)));
                }
                grid.AddRow("Keyframes:", m.Keyframes is null ? "none" : $"{m.Keyframes.Keyframes.Count} (descriptor length {m.Keyframes.DescriptorLength}, rendered at {m.Keyframes.Camera})");
                grid.AddRow("Segmenter:", m.SegmenterDefinition is null ? "none" : Markup.Escape(DescribeSegmenter(m.SegmenterDefinition)));
                foreach (var file in Directory.EnumerateFiles(dir).Order())
                    grid.AddRow(Markup.Escape(Path.GetFileName(file)) + ":", FormatBytes(new FileInfo(file).Length));
                grid.AddRow("Built by:", Markup.Escape($"{m.Provenance.Tool} at {m.Provenance.Created} from {m.Provenance.Source}"));
                AnsiConsole.Write(grid);

                var histogram = new int[g.LabelCount];
                foreach (var l in g.Labels)
                    histogram[l]++;
                var chart = new BarChart().Label("Gaussians per label").Width(70);
                for (int k = 0; k < g.LabelCount; k++)
                {
                    var (r, gg, b) = Core.Imaging.LabelPalette.Color(k);
                    chart.AddItem(k.ToString(CultureInfo.InvariantCulture), histogram[k], new Color(r, gg, b));
                }
                AnsiConsole.Write(chart);
                if (m.Provenance.Parameters.Count > 0)
                {
                    var table = new Table().Title("Build parameters").AddColumns("parameter", "value");
                    foreach (var (name, value) in m.Provenance.Parameters.OrderBy(p => p.Key))
                        table.AddRow(Markup.Escape(name), Markup.Escape(value));
                    AnsiConsole.Write(table);
                }
                if (m.BuildReport is not null)
                    AnsiConsole.Write(new Panel(Markup.Escape(m.BuildReport.TrimEnd())).Header("build_report.yaml"));
                return 0;
            }
            catch (Exception e) when (e is MapFormatException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Export()
    {
        var viewer = new Option<bool>("--viewer") { Description = "Write a standard 3DGS PLY with the label palette as colour (for splat viewers).", Required = true };
        var map = new Argument<string>("map") { Description = "Map directory." };
        var output = new Argument<string>("output") { Description = "PLY file to write." };
        var command = new Command("export", "Export a map for viewers.") { viewer, map, output };
        command.SetAction(parse =>
        {
            try
            {
                var m = MapDirectory.Load(parse.GetValue(map)!);
                string path = parse.GetValue(output)!;
                string temp = path + ".tmp";
                using (var file = File.Create(temp))
                    ViewerPly.Write(file, m.Gaussians);
                File.Move(temp, path, overwrite: true);
                AnsiConsole.MarkupLine($"Wrote {m.Gaussians.Count:N0} Gaussians to [bold]{Markup.Escape(path)}[/] ({FormatBytes(new FileInfo(path).Length)})");
                return 0;
            }
            catch (Exception e) when (e is MapFormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}

/// <summary>Reports on the calling thread.</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
