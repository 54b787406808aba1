using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Mapping;
using Mosaic.Ros.Images;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic map evaluate</c>: label consistency, depth fidelity and inversion on held-out frames.</summary>
internal static class MapEvaluateCommand
{
    public static Command Create()
    {
        var map = new Option<string>("--map") { Description = "Map directory.", Required = true };
        var bag = new Option<string>("--bag") { Description = "The drive the map was built from (its keyframes are read back for the inversion attacks).", Required = true };
        var parameters = MapCommand.ParamsOption();
        var tum = MapCommand.TumOption();
        var body = MapCommand.BodyFrameOption();
        var start = new Option<double?>("--start") { Description = "Held-out window start, seconds from the bag start." };
        var end = new Option<double?>("--end") { Description = "Held-out window end, seconds from the bag start." };
        var step = new Option<int>("--step") { Description = "Evaluate every n-th held-out frame.", DefaultValueFactory = _ => 3 };
        var output = new Option<string?>("--out") { Description = "Directory for metrics.json and picture panels (real | query labels | map labels | label-mean attack | true-colour map)." };
        var command = new Command("evaluate", "Measure a map on frames it was not built from: label agreement, depth error, and how well it inverts to pictures.")
        {
            map, bag, parameters.Files, parameters.Overrides, tum, body, start, end, step, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(step) < 1)
                    throw new ArgumentException("--step must be at least 1");
                var options = MapCommand.LoadOptions(parameters.Read(parse), parse.GetValue(tum), parse.GetValue(body), parse.GetValue(start), parse.GetValue(end));
                var privacyMap = MapDirectory.Load(parse.GetValue(map)!);
                MapEvaluationResult? result = null;
                var warnings = new List<string>();
                AnsiConsole.Progress().Start(context =>
                {
                    var task = context.AddTask("evaluating held-out frames", maxValue: 1);
                    result = MapEvaluation.Run(privacyMap, parse.GetValue(bag)!, options, parse.GetValue(step), samples: 3, new InlineProgress<double>(p => task.Value = p), warnings.Add);
                    task.Value = 1;
                });
                Print(result!, privacyMap.Gaussians.LabelCount);
                MapCommand.PrintWarnings(warnings);
                if (parse.GetValue(output) is string dir)
                    Write(result!, dir, privacyMap.Gaussians.LabelCount);
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

    private static void Print(MapEvaluationResult r, int k)
    {
        AnsiConsole.MarkupLine($"{r.Frames} held-out frames, K = {k}; {r.MappingFrames} mapping keyframes read back for the attacks");
        var grid = new Grid().AddColumn().AddColumn();
        MapCommand.AddAgreementRows(grid, r.Labels, k);
        grid.AddRow("Depth error:", $"median {r.MedianDepthError * 100:F1} cm |rendered - measured|");
        AnsiConsole.Write(grid);
        var table = new Table().Title("Inversion: pictures painted from map data vs the real images (covered pixels)")
            .AddColumns("estimate", "PSNR dB", "SSIM");
        void Row(string name, InversionScore s) => table.AddRow(name, s.Psnr.ToString("F2", CultureInfo.InvariantCulture), s.Ssim.ToString("F3", CultureInfo.InvariantCulture));
        Row("flat mean colour (reference)", r.FlatColor);
        Row("label colours decoded from segmenter.yaml alone", r.DefinitionColor);
        Row("label mean colour (map + mapping images)", r.LabelMeanColor);
        Row("true-colour map (what Mosaic does not store)", r.TrueColorMap);
        AnsiConsole.Write(table);
    }

    private static void Write(MapEvaluationResult r, string dir, int k)
    {
        Directory.CreateDirectory(dir);
        var metrics = new Dictionary<string, object?>
        {
            ["label_count"] = k,
            ["held_out_frames"] = r.Frames,
            ["mapping_frames"] = r.MappingFrames,
            ["label_agreement"] = Finite(r.Labels.Agreement),
            ["coverage"] = Finite(r.Labels.Coverage),
            ["effective_labels"] = Finite(r.Labels.EffectiveLabels),
            ["kappa"] = Finite(r.Labels.Kappa),
            ["median_depth_error_m"] = Finite(r.MedianDepthError),
            ["agreement_by_boundary_distance"] = r.Labels.ByBoundaryDistance
                .Select(b => new { from_px = b.From, to_px = b.To == int.MaxValue ? (int?)null : b.To, share = Finite(b.Share), agreement = Finite(b.Agreement) }).ToList(),
            ["best_possible_agreement"] = new
            {
                share_of_compared_pixels = Finite(r.Labels.BestPossible!.Share),
                agreement = Finite(r.Labels.BestPossible.Agreement),
                segmenter_agreement = Finite(r.Labels.BestPossible.SegmenterAgreement),
            },
            ["inversion"] = new Dictionary<string, object>
            {
                ["flat_mean_colour"] = new { psnr_db = Finite(r.FlatColor.Psnr), ssim = Finite(r.FlatColor.Ssim) },
                ["definition_colours"] = new { psnr_db = Finite(r.DefinitionColor.Psnr), ssim = Finite(r.DefinitionColor.Ssim) },
                ["label_mean_colour"] = new { psnr_db = Finite(r.LabelMeanColor.Psnr), ssim = Finite(r.LabelMeanColor.Ssim) },
                ["true_colour_map"] = new { psnr_db = Finite(r.TrueColorMap.Psnr), ssim = Finite(r.TrueColorMap.Ssim) },
            },
        };
        File.WriteAllText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        foreach (var sample in r.Samples)
        {
            var panels = new[]
            {
                sample.Real.Rgb, LabelPalette.Colorize(sample.Query), LabelPalette.Colorize(sample.Rendered), sample.LabelMeanColor.Rgb, sample.TrueColor.Rgb,
            };
            WritePanels(Path.Combine(dir, $"frame-{sample.Stamp}.png"), sample.Real.Width, sample.Real.Height, panels);
            // Labels only (query | map): a picture of the map that holds no image data.
            WritePanels(Path.Combine(dir, $"labels-{sample.Stamp}.png"), sample.Real.Width, sample.Real.Height, panels[1..3]);
        }
        AnsiConsole.MarkupLine($"Wrote metrics.json and {2 * r.Samples.Count} picture panels to [bold]{Markup.Escape(dir)}[/]");
    }

    /// <summary>JSON has no NaN or infinity: a figure with nothing to measure (an empty range, no compared pixel) is written as null.</summary>
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static void WritePanels(string path, int w, int h, byte[][] panels)
    {
        var rgb = new byte[3 * w * panels.Length * h];
        for (int y = 0; y < h; y++)
            for (int i = 0; i < panels.Length; i++)
                Array.Copy(panels[i], 3 * y * w, rgb, 3 * (y * w * panels.Length + i * w), 3 * w);
        File.WriteAllBytes(path, Png.EncodeRgb8(w * panels.Length, h, rgb));
    }
}
