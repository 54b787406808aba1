using System.CommandLine;
using System.Globalization;
using System.Text;
using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;
using Mosaic.Evaluation;
using Mosaic.Mapping;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic map check-poses</c>: how far a drive's poses are from where its depth fits the map.</summary>
internal static class MapCheckPosesCommand
{
    public static Command Create()
    {
        var map = new Option<string>("--map") { Description = "Map directory.", Required = true };
        var bag = new Option<string>("--bag") { Description = "A drive with depth and poses (the pose source of --params / --tum): the mapping drive or a query drive with its ground truth.", Required = true };
        var parameters = MapCommand.ParamsOption();
        var tum = MapCommand.TumOption();
        var body = MapCommand.BodyFrameOption();
        var start = new Option<double?>("--start") { Description = "Window start, seconds from the bag start." };
        var end = new Option<double?>("--end") { Description = "Window end, seconds from the bag start." };
        var step = new Option<int>("--step") { Description = "Check every n-th frame of the window.", DefaultValueFactory = _ => 1 };
        var minSupport = new Option<double>("--min-support") { Description = "Trust an alignment when at least this share of the frame's depth points lies on the map's surfaces.", DefaultValueFactory = _ => new PoseCheckOptions().MinSupport };
        var output = new Option<string>("--out") { Description = "Directory for check_poses.csv, depth_aligned.tum (trusted frames only) and offsets.svg.", Required = true };
        var command = new Command("check-poses",
            "Align each frame's depth with the map's surfaces (point-to-plane ICP, no labels) and report how far the drive's poses are from where the depth fits; " +
            "the trusted aligned poses are written as a TUM ground truth consistent with the map.")
        {
            map, bag, parameters.Files, parameters.Overrides, tum, body, start, end, step, minSupport, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                var options = MapCommand.LoadOptions(parameters.Read(parse), parse.GetValue(tum), parse.GetValue(body), parse.GetValue(start), parse.GetValue(end));
                var checkOptions = new PoseCheckOptions { MinSupport = parse.GetValue(minSupport) };
                checkOptions.Validate();
                string outDir = parse.GetValue(output)!;
                var privacyMap = MapDirectory.Load(parse.GetValue(map)!);
                IReadOnlyList<PoseCheckFrame>? frames = null;
                var warnings = new List<string>();
                AnsiConsole.Progress().Start(context =>
                {
                    var task = context.AddTask("aligning depth with the map", maxValue: 1);
                    frames = PoseCheck.Run(privacyMap.Gaussians, parse.GetValue(bag)!, options, parse.GetValue(step), checkOptions,
                        new InlineProgress<double>(p => task.Value = p), warnings.Add);
                    task.Value = 1;
                });
                Write(frames!, outDir);
                Print(frames!, checkOptions, outDir);
                MapCommand.PrintWarnings(warnings);
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

    private static void Write(IReadOnlyList<PoseCheckFrame> frames, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var csv = new StringBuilder("stamp,trusted,points,support,rms_before_cm,rms_after_cm,conditioning,iterations,converged,offset_x_cm,offset_y_cm,offset_z_cm,offset_cm,offset_deg\n");
        foreach (var f in frames)
        {
            var a = f.Alignment;
            var offset = f.Offset;
            csv.Append(CultureInfo.InvariantCulture,
                $"{Units.StampSeconds(f.Stamp)},{f.Trusted},{a.Points},{a.Support:F4},{a.RmsBefore * 100:F3},{a.RmsAfter * 100:F3},{a.Conditioning:G4},{a.Iterations},{a.Converged}," +
                $"{offset.Translation.X * 100:F3},{offset.Translation.Y * 100:F3},{offset.Translation.Z * 100:F3},{offset.Translation.Norm * 100:F3},{Degrees(offset):F4}\n");
        }
        File.WriteAllText(Path.Combine(outDir, "check_poses.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(outDir, "depth_aligned.tum"),
            TumTrajectory.Format(frames.Where(f => f.Trusted).Select(f => (f.Stamp, f.Alignment.MapFromCamera)), "colour camera in map, aligned to the map's surfaces by its depth"));
        double t0 = frames[0].Stamp;
        (double, double) At(PoseCheckFrame f, double value, bool trusted) => ((f.Stamp - t0) / 1e9, f.Trusted == trusted ? value : double.NaN);
        var chart = new SvgChart { Title = "Offset of the given pose from the depth-aligned pose", XLabel = "s from the first frame checked", YLabel = "cm / deg" }
            .Line("translation, cm", "#1f77b4", frames.Select(f => At(f, f.Offset.Translation.Norm * 100, trusted: true)).ToList())
            .Line("rotation, deg", "#d62728", frames.Select(f => At(f, Degrees(f.Offset), trusted: true)).ToList())
            .Points("translation, cm (untrusted alignment)", "#9ecae1", frames.Select(f => At(f, f.Offset.Translation.Norm * 100, trusted: false)).ToList())
            .Points("rotation, deg (untrusted alignment)", "#fc9272", frames.Select(f => At(f, Degrees(f.Offset), trusted: false)).ToList());
        File.WriteAllText(Path.Combine(outDir, "offsets.svg"), chart.ToSvg());
    }

    private static void Print(IReadOnlyList<PoseCheckFrame> frames, PoseCheckOptions options, string outDir)
    {
        var trusted = frames.Where(f => f.Trusted).ToList();
        var untrusted = frames.Where(f => !f.Trusted).ToList();
        string why = untrusted.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; not trusted: {untrusted.Count(f => f.Alignment.Support < options.MinSupport)} with under {options.MinSupport:P0} of their depth on the map, " +
            $"{untrusted.Count(f => !f.Alignment.Converged)} not converged, {untrusted.Count(f => f.Alignment.Conditioning < options.MinConditioning)} with a direction the surfaces leave free");
        AnsiConsole.MarkupLine(Markup.Escape($"{frames.Count} frames aligned, {trusted.Count} trusted{why}"));
        var grid = new Grid().AddColumn().AddColumn();
        if (trusted.Count > 0)
        {
            grid.AddRow("Offset, translation:", Percentiles(trusted.Select(f => f.Offset.Translation.Norm * 100), "cm"));
            grid.AddRow("Offset, rotation:", Percentiles(trusted.Select(f => Degrees(f.Offset)), "deg"));
            grid.AddRow("RMS point-to-plane:", string.Create(CultureInfo.InvariantCulture,
                $"{Median(trusted.Select(f => f.Alignment.RmsBefore * 100)):F2} cm at the given poses, {Median(trusted.Select(f => f.Alignment.RmsAfter * 100)):F2} cm aligned (medians)"));
        }
        // What a localizer that agreed with the map's geometry on every frame would be charged by these
        // poses, in mosaic eval's terms; untrusted alignments included, so it is a rough bound.
        var asEstimate = AccuracySummary.Of(frames.Select(f => (f.Offset.Translation.Norm, Degrees(f.Offset))).ToList());
        var recalls = RecallThreshold.Standard.Select((t, i) => string.Create(CultureInfo.InvariantCulture, $"{t} {asEstimate.Recalls[i]:P1}"));
        grid.AddRow("Aligned poses, scored:", string.Create(CultureInfo.InvariantCulture,
            $"median {asEstimate.MedianTranslation * 100:F1} cm / {asEstimate.MedianRotationDeg:F2} deg, {string.Join(", ", recalls)} " +
            $"(every frame, trusted or not, against its given pose, as mosaic eval scores a pose)"));
        AnsiConsole.Write(grid);
        AnsiConsole.MarkupLine(Markup.Escape($"Wrote {Path.Combine(outDir, "check_poses.csv")}, depth_aligned.tum (usable as mosaic eval --gt) and offsets.svg"));
    }

    private static string Percentiles(IEnumerable<double> values, string unit)
    {
        var sorted = values.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture,
            $"median {sorted[sorted.Length / 2]:F2} {unit}, 90th percentile {sorted[(int)(0.9 * (sorted.Length - 1))]:F2} {unit}, largest {sorted[^1]:F2} {unit}");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static double Degrees(Se3 offset) => offset.Rotation.Angle * 180 / Math.PI;

}
