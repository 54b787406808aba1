using System.CommandLine;
using System.Globalization;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary>
/// <c>mosaic demo</c>: the real-data demo (build a map from the bundled redkitchen sample's mapping
/// part, evaluate its query part); <c>mosaic demo --synthetic</c>: pose refinement on a generated room.
/// </summary>
internal static class DemoCommand
{
    /// <summary>The bundled sample: every 5th frame of 7-Scenes redkitchen 0-599 (see tests/data/README.md).</summary>
    private const string SampleBag = "tests/data/redkitchen-sample";

    /// <summary>Frames 0-299 (stamps 0-9.97 s) build the map; frames 300-599 are the queries.</summary>
    private const double QueryStart = 10;

    /// <summary>The sample's depth images, as `mosaic bag import-7scenes` writes them.</summary>
    private const string SampleDepthTopic = "/camera/depth/image_raw/compressedDepth";

    public static Command Create()
    {
        var synthetic = new Option<bool>("--synthetic") { Description = "Instead of the real-data demo: refine perturbed poses in a procedurally generated labelled room." };
        var sample = new Option<string>("--sample") { Description = "The sample bag (its ground truth is the .tum file beside it).", DefaultValueFactory = _ => SampleBag };
        var output = new Option<string>("--out") { Description = "Directory for the map (map/) and the evaluation reports (eval/, eval-rgbd/).", DefaultValueFactory = _ => "out/demo" };
        var step = new Option<int>("--step") { Description = "Evaluate every n-th query frame of the sample.", DefaultValueFactory = _ => 3 };
        var trials = new Option<int>("--trials") { Description = "Number of query poses.", DefaultValueFactory = _ => 8 };
        var gaussians = new Option<int>("--gaussians") { Description = "Approximate Gaussian count of the room.", DefaultValueFactory = _ => 100_000 };
        var labels = new Option<int>("--labels") { Description = "Label count K.", DefaultValueFactory = _ => 16 };
        var translation = new Option<double>("--translation-error") { Description = "Initial translation error (metres).", DefaultValueFactory = _ => 0.10 };
        var rotation = new Option<double>("--rotation-error") { Description = "Initial rotation error (degrees).", DefaultValueFactory = _ => 5 };
        var noise = new Option<bool>("--noise") { Description = "Corrupt 5% of query labels and ignore 10% of pixels." };
        var seed = new Option<int>("--seed") { Description = "Random seed (room and poses).", DefaultValueFactory = _ => 1 };
        var saveMap = new Option<string?>("--save-map") { Description = "Also write the generated room as a privacy map directory." };

        var command = new Command("demo", "The real demo: build a map from the bundled sample drive's first half and evaluate its second half (retrieval, tracking, from-truth), " +
            "then again with depth refinement (RGB-D); --synthetic: refine perturbed poses in a generated room.")
        {
            synthetic, sample, output, step, trials, gaussians, labels, translation, rotation, noise, seed, saveMap,
        };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(synthetic))
                return RealDemo(parse.GetValue(sample)!, parse.GetValue(output)!, parse.GetValue(step));
            int n = parse.GetValue(trials);
            if (n < 1)
            {
                Console.Error.WriteLine("error: --trials must be at least 1");
                return 2;
            }
            var camera = SyntheticRoom.Camera;
            SyntheticTrials? setup = null;
            AnsiConsole.Status().Start("Generating the synthetic room...", _ =>
                setup = new SyntheticTrials(parse.GetValue(gaussians), parse.GetValue(labels), parse.GetValue(seed), camera));
            AnsiConsole.MarkupLine($"Room: [bold]{setup!.Map.Count:N0}[/] Gaussians, {setup.Map.LabelCount} labels; camera {camera}");
            if (parse.GetValue(saveMap) is string dir)
            {
                MapDirectory.Save(new PrivacyMap("map", setup.Map, new MapProvenance
                {
                    Tool = "mosaic demo --synthetic",
                    Created = DateTime.UtcNow.ToString("O"),
                    Source = "synthetic",
                    Parameters = { ["gaussians"] = parse.GetValue(gaussians).ToString(), ["labels"] = parse.GetValue(labels).ToString(), ["seed"] = parse.GetValue(seed).ToString() },
                }), dir);
                AnsiConsole.MarkupLine($"Map written to [bold]{Markup.Escape(dir)}[/]");
            }

            var table = new Table().Title("Pose refinement from perturbed poses (query = labels rendered at the true pose)");
            foreach (var column in new[] { "trial", "initial cm", "initial deg", "final cm", "final deg", "loss", "coverage", "iterations", "time ms" })
                table.AddColumn(new TableColumn(column).RightAligned());
            var rng = new Random(parse.GetValue(seed));
            var results = new List<TrialResult>();
            AnsiConsole.Progress().Start(progress =>
            {
                var task = progress.AddTask("Refining", maxValue: n);
                for (int i = 0; i < n; i++)
                {
                    var r = setup.Run(rng, parse.GetValue(translation), parse.GetValue(rotation) * Math.PI / 180, parse.GetValue(noise));
                    results.Add(r);
                    table.AddRow($"{i + 1}", $"{r.InitialTranslation * 100:F1}", $"{r.InitialRotation * 180 / Math.PI:F2}",
                        $"{r.FinalTranslation * 100:F3}", $"{r.FinalRotation * 180 / Math.PI:F3}", $"{r.Loss:F4}", $"{r.Coverage:P0}",
                        $"{r.Iterations}", $"{r.Milliseconds:F0}");
                    task.Increment(1);
                }
            });
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Median final error: [bold]{Statistics.Median(results.Select(r => r.FinalTranslation)) * 100:F3} cm[/], " +
                $"[bold]{Statistics.Median(results.Select(r => r.FinalRotation)) * 180 / Math.PI:F3} deg[/]; median time {Statistics.Median(results.Select(r => r.Milliseconds)):F0} ms");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Runs `mosaic map build` on the sample's mapping part and `mosaic eval` on its query part, from
    /// colour alone and then with the sample's depth images (depth refinement), with the parameters a
    /// user would type (printed first), so the demo is exactly the documented workflow.
    /// </summary>
    private static int RealDemo(string sample, string output, int step)
    {
        string tum = sample.TrimEnd('/', '\\') + ".tum";
        if (!Directory.Exists(sample) || !File.Exists(tum))
        {
            Console.Error.WriteLine($"error: the sample bag {sample} (and {tum}) is not here; run from the repository root or pass --sample");
            return 1;
        }
        string map = Path.Combine(output, "map"), eval = Path.Combine(output, "eval"), evalDepth = Path.Combine(output, "eval-rgbd");
        if (File.Exists(Path.Combine(map, "map.yaml")))
            Directory.Delete(map, recursive: true);
        string[] build = ["map", "build", "--bag", sample, "--out", map, "--tum", tum, "--body-frame", "", "--end", (QueryStart - 0.01).ToString(CultureInfo.InvariantCulture), "--params", "config/mapping.yaml"];
        string[] queries = ["eval", "--map", map, "--bag", sample, "--gt", tum, "--start", QueryStart.ToString(CultureInfo.InvariantCulture), "--step", step.ToString(CultureInfo.InvariantCulture), "--params", "config/mosaic.yaml"];
        string[] evaluate = [.. queries, "--mode", "all", "--out", eval];
        string[] evaluateDepth = [.. queries, "--depth-topic", SampleDepthTopic, "--out", evalDepth];
        foreach (var args in new[] { build, evaluate, evaluateDepth })
        {
            AnsiConsole.MarkupLine($"[bold]$ mosaic {Markup.Escape(string.Join(' ', args.Select(a => a.Length == 0 ? "\"\"" : a)))}[/]");
            var command = args[0] == "map" ? MapCommand.Create() : EvalCommand.Create();
            int code = new RootCommand { command }.Parse(args).Invoke();
            if (code != 0)
                return code;
        }
        return 0;
    }
}
