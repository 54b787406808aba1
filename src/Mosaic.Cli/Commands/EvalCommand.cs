using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Mosaic.Core.Maps;
using Mosaic.Evaluation;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Mapping;
using Mosaic.Rendering;
using Mosaic.Rendering.Cuda;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic eval</c>: replay a drive through the localizer and compare with ground truth.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var map = new Option<string?>("--map") { Description = "Map directory (from `mosaic map build`). Default: the parameter file's map." };
        var bag = new Option<string>("--bag") { Description = "The query drive: a rosbag2 directory or a bare .mcap / .db3 file.", Required = true };
        var parameters = new ParameterOptions("Parameter file of the node (config/mosaic.yaml): topics, frames, odometry, localizer.");
        var gt = new Option<string?>("--gt") { Description = "Ground truth as a TUM file (timestamp tx ty tz qx qy qz qw) in the map frame." };
        var gtTopic = new Option<string?>("--gt-topic") { Description = "Ground truth as a pose topic in the bag (Odometry, PoseStamped, PoseWithCovarianceStamped) in the map frame." };
        var gtTf = new Option<bool>("--gt-tf")
        {
            Description = "Ground truth from the bag's TF tree: frames.map -> camera through topics.tf and topics.tf_static " +
                "(a motion-capture system or a reference localizer publishing on /tf).",
        };
        var gtBody = new Option<string?>("--gt-body-frame") { Description = "Frame the ground-truth poses are of. Default: the camera frame for --gt, frames.base for --gt-topic." };
        var mode = new Option<string>("--mode")
        {
            Description = "retrieval (every frame alone), tracking (odometry, from the first true pose), both, from-truth (every frame " +
                "refined from its own true pose: what the best seed would reach) or all three.",
            DefaultValueFactory = _ => "both",
        };
        mode.AcceptOnlyFromAmong("retrieval", "tracking", "both", "from-truth", "all");
        var start = new Option<double>("--start") { Description = "Window start, seconds from the bag start.", DefaultValueFactory = _ => 0 };
        var end = new Option<double>("--end") { Description = "Window end, seconds from the bag start; negative = to the end.", DefaultValueFactory = _ => -1 };
        var step = new Option<int>("--step") { Description = "Use every n-th image of the window.", DefaultValueFactory = _ => 1 };
        var depthTopic = new Option<string?>("--depth-topic")
        {
            Description = "Depth images of an RGB-D camera in the bag, for depth refinement (sets topics.depth; \"\" turns it off). " +
                "Default: the parameter file's topics.depth (empty: colour only).",
        };
        var output = new Option<string>("--out") { Description = "Directory for metrics.json, frames.csv, trajectories, plots and report.md.", Required = true };
        var command = new Command("eval", "Localize every frame of a drive against a map and measure it against ground truth (with odometry-only and retrieval-only baselines).")
        {
            map, bag, parameters.Files, parameters.Overrides, gt, gtTopic, gtTf, gtBody, mode, start, end, step, depthTopic, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                string? tum = parse.GetValue(gt), topic = parse.GetValue(gtTopic);
                bool fromTf = parse.GetValue(gtTf);
                if ((tum is null ? 0 : 1) + (topic is null ? 0 : 1) + (fromTf ? 1 : 0) != 1)
                    throw new ArgumentException("give the ground truth as exactly one of --gt FILE, --gt-topic TOPIC or --gt-tf");
                if (fromTf && parse.GetValue(gtBody) is not null)
                    throw new ArgumentException("--gt-body-frame applies to --gt and --gt-topic; with --gt-tf the TF tree joins the map frame to the camera");
                var (files, overrides) = parameters.Read(parse);
                var settings = LocalizationParameters.Load(files, overrides);
                if (parse.GetValue(depthTopic) is string depth)
                {
                    settings.Topics.Depth = depth;
                    settings.Validate();
                }
                string body = parse.GetValue(gtBody) ?? (topic is null ? "" : settings.Frames.Base);
                var modes = parse.GetValue(mode) switch
                {
                    "retrieval" => [EvaluationMode.Retrieval],
                    "tracking" => [EvaluationMode.Tracking],
                    "from-truth" => [EvaluationMode.FromTruth],
                    "all" => [EvaluationMode.Retrieval, EvaluationMode.Tracking, EvaluationMode.FromTruth],
                    _ => new[] { EvaluationMode.Retrieval, EvaluationMode.Tracking },
                };
                string bagPath = parse.GetValue(bag)!, outDir = parse.GetValue(output)!;
                string mapPath = parse.GetValue(map) ?? settings.Map;
                if (string.IsNullOrWhiteSpace(mapPath))
                    throw new ArgumentException("no map: give --map DIR or set map in the parameter file");
                Directory.CreateDirectory(outDir);
                var privacyMap = MapDirectory.Load(mapPath);
                var drive = QueryDrive.Scan(bagPath, settings, fromTf ? GroundTruthSource.Transforms() : new GroundTruthSource(tum, topic, body), parse.GetValue(start), parse.GetValue(end), parse.GetValue(step));
                if (modes.Contains(EvaluationMode.Tracking) && settings.Odometry.Source != "none" && drive.Frames.All(f => f.OdomFromCamera is null))
                    throw new MappingInputException($"{bagPath}: no frame has odometry (odometry.source {settings.Odometry.Source}); set odometry.source: none to track without it");
                var compute = Compute.Renderer(privacyMap.Gaussians, settings.Compute);
                var renderer = compute.Renderer;
                using var coarseRenderer = ComputeBackends.CreateCoarse(compute, privacyMap.Gaussians, settings.Localizer.CoarseMapVoxel, settings.Compute.Device);
                using var sharpRenderer = ComputeBackends.CreateSharp(compute, privacyMap.Gaussians, settings.Localizer.SharpMapScale, settings.Localizer.SharpMapMaxLoss > 0, settings.Compute.Device);
                AnsiConsole.MarkupLine($"{drive.Frames.Count} query frames, map of {privacyMap.Gaussians.Count:N0} Gaussians, K = {privacyMap.Gaussians.LabelCount}, " +
                    $"{privacyMap.Keyframes?.Keyframes.Count ?? 0} keyframes; modes: {string.Join(", ", modes.Select(EvaluationReport.Name))}" +
                    (drive.WithoutGroundTruth > 0 ? $"; {drive.WithoutGroundTruth} images without ground truth skipped" : "") +
                    (drive.HasDepth ? $"; depth from {Markup.Escape(settings.Topics.Depth)}, {drive.Frames.Count - drive.WithoutDepth} of {drive.Frames.Count} frames paired" : ""));
                foreach (var warning in settings.Localizer.Warnings(privacyMap.Gaussians.LabelCount, privacyMap.Gaussians.SecondLabelCount > 0))
                    AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
                var clock = Stopwatch.StartNew();
                EvaluationResult? result = null;
                // The first Ctrl-C ends the run after the frame in progress and still writes the report of the frames done; a second one kills.
                using var interrupt = new CancellationTokenSource();
                ConsoleCancelEventHandler onCancel = (_, e) =>
                {
                    e.Cancel = !interrupt.IsCancellationRequested;
                    interrupt.Cancel();
                };
                Console.CancelKeyPress += onCancel;
                try
                {
                    AnsiConsole.Progress().Start(context =>
                    {
                        var task = context.AddTask("localizing frames", maxValue: 1);
                        result = Evaluator.Run(drive, modes, () => Localizer.ForMap(privacyMap, settings.Localizer, renderer, coarseRenderer, sharpRenderer),
                            new InlineProgress<double>(p => task.Value = p), interrupt.Token);
                        task.Value = 1;
                    });
                }
                finally
                {
                    Console.CancelKeyPress -= onCancel;
                }
                int done = result!.Modes.Values.First().Count + result.Dropped.Count;
                bool interrupted = done < drive.Frames.Count;
                if (interrupted && result.Modes.Values.First().Count == 0)
                {
                    Console.Error.WriteLine("interrupted before the first frame was localized; nothing written");
                    return 130;
                }
                var summary = EvaluationSummary.Of(result);
                var context = new Dictionary<string, string>
                {
                    ["map"] = Path.GetFullPath(mapPath),
                    ["bag"] = Path.GetFullPath(bagPath),
                    ["compute"] = compute.Description,
                    ["parameters"] = files.Count + overrides.Count == 0 ? "built-in defaults"
                        : string.Join(", ", files.Select(Path.GetFullPath).Concat(overrides.Select(o => $"-p {o.Name}:={o.Value}"))),
                    ["ground truth"] = fromTf ? $"TF tree on {settings.Topics.Tf} + {settings.Topics.TfStatic} ({settings.Frames.Map} -> camera)"
                        : tum is null ? $"topic {topic} ({body})" : $"{Path.GetFullPath(tum)} ({(body.Length == 0 ? "camera frame" : body)})",
                    ["window"] = string.Create(CultureInfo.InvariantCulture,
                        $"{parse.GetValue(start)} s .. {(parse.GetValue(end) < 0 ? "the end" : $"{parse.GetValue(end)} s")}, every {parse.GetValue(step)} image(s)"),
                    ["label count"] = privacyMap.Gaussians.LabelCount.ToString(CultureInfo.InvariantCulture),
                    ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
                    ["wall time"] = $"{clock.Elapsed.TotalSeconds:F1} s",
                };
                if (interrupted)
                    context["interrupted"] = $"after {done} of {drive.Frames.Count} frames (Ctrl-C); the figures are of those";
                EvaluationReport.Write(outDir, result!, summary, context);
                Print(summary);
                PrintOdometryDrift(summary, settings.Localizer.OdometryDrift);
                foreach (var (stamp, reason) in result!.DepthFailures)
                    AnsiConsole.MarkupLine($"[yellow]warning: frame {stamp}: {Markup.Escape(reason)}; localized from colour alone[/]");
                AnsiConsole.MarkupLine($"Report: {Markup.Escape(Path.Combine(outDir, "report.md"))} (plots, frames.csv, metrics.json, TUM trajectories beside it); {clock.Elapsed.TotalSeconds:F1} s");
                if (!interrupted)
                    return 0;
                AnsiConsole.MarkupLine($"[yellow]interrupted: the report holds the first {done} of {drive.Frames.Count} frames[/]");
                return 130;
            }
            catch (Exception e) when (e is MappingInputException or MapFormatException or IOException or FormatException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>
    /// The odometry's measured drift beside the one the localizer assumes: odometry that drifts more than
    /// assumed is trusted too much when tracking (README "Odometry quality").
    /// </summary>
    private static void PrintOdometryDrift(EvaluationSummary summary, double assumed)
    {
        if (summary.OdometryDrift is not { } drift)
            return;
        string line = string.Create(CultureInfo.InvariantCulture, $"The {summary.OdometryDriftText()}; localizer.odometry_drift assumes {100 * assumed:F1} %{summary.LearntOdometryDriftText()}");
        AnsiConsole.MarkupLine(EvaluationReport.OdometryAdvice(drift, assumed) is { } advice
            ? $"[yellow]{Markup.Escape($"{line}: {advice}")}[/]"
            : Markup.Escape(line));
    }

    private static void Print(EvaluationSummary summary)
    {
        var table = new Table().AddColumns("", "frames", "median cm", "median deg");
        foreach (var threshold in RecallThreshold.Standard)
            table.AddColumn(new TableColumn(threshold.ToString()).RightAligned());
        table.AddColumn(new TableColumn("latency p50 / p95 ms").RightAligned());
        foreach (var (name, a, latency) in EvaluationReport.Rows(summary))
        {
            var cells = new List<string> { name, a.Frames.ToString(CultureInfo.InvariantCulture), EvaluationReport.Fixed(a.MedianTranslation * 100, 1), EvaluationReport.Fixed(a.MedianRotationDeg, 2) };
            cells.AddRange(a.Recalls.Select(r => (r * 100).ToString("F1", CultureInfo.InvariantCulture) + " %"));
            cells.Add(latency);
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        AnsiConsole.Write(table);
        foreach (var mode in summary.Modes)
        {
            var failures = mode.Causes.Where(c => c.Value > 0).Select(c => $"{c.Key} {c.Value}");
            string fromTruth = mode.CausesOutsideFromTruth is { } outside && failures.Any() ? $"; {outside.Values.Sum()} of them outside from the truth too" : "";
            string depth = (mode.Sharpened > 0 ? $"; {mode.Sharpened} finished on the sharpened map" : "")
                + (mode.RefinedAgain > 0 ? $"; {mode.RefinedAgain} refined on it directly, then again on the full map" : "")
                + (mode.DepthRefined > 0 ? $"; {mode.DepthRefined} depth-refined" : "")
                + (mode.NotMoved > 0 ? $"; {mode.NotMoved} not refined, hardly moved" : "");
            AnsiConsole.MarkupLine(Markup.Escape($"{EvaluationReport.Name(mode.Mode)}: {mode.Rejected} rejected{EvaluationReport.RejectedByText(mode)}, {mode.WithoutPose} without pose{depth}; outside 5cm/5deg: {(failures.Any() ? string.Join(", ", failures) : "none")}{fromTruth}"));
        }
        var covariances = summary.Modes.Where(m => m.Covariance is not null).Select(m => $"{EvaluationReport.Name(m.Mode)} {EvaluationReport.CovarianceText(m)}").ToList();
        if (covariances.Count > 0)
            AnsiConsole.MarkupLine(Markup.Escape($"Published covariance: {string.Join("; ", covariances)}"));
    }
}
