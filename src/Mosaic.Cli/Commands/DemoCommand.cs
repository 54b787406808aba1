using System.CommandLine;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic demo --synthetic</c>: pose refinement on a generated labelled room.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var synthetic = new Option<bool>("--synthetic") { Description = "Run on a procedurally generated labelled room (the only demo until the real-data demo lands)." };
        var trials = new Option<int>("--trials") { Description = "Number of query poses.", DefaultValueFactory = _ => 8 };
        var gaussians = new Option<int>("--gaussians") { Description = "Approximate Gaussian count of the room.", DefaultValueFactory = _ => 100_000 };
        var labels = new Option<int>("--labels") { Description = "Label count K.", DefaultValueFactory = _ => 16 };
        var translation = new Option<double>("--translation-error") { Description = "Initial translation error (metres).", DefaultValueFactory = _ => 0.10 };
        var rotation = new Option<double>("--rotation-error") { Description = "Initial rotation error (degrees).", DefaultValueFactory = _ => 5 };
        var noise = new Option<bool>("--noise") { Description = "Corrupt 5% of query labels and ignore 10% of pixels." };
        var seed = new Option<int>("--seed") { Description = "Random seed (room and poses).", DefaultValueFactory = _ => 1 };
        var saveMap = new Option<string?>("--save-map") { Description = "Also write the generated room as a privacy map directory." };

        var command = new Command("demo", "Show pose refinement working: perturb poses, refine, print a table.")
        {
            synthetic, trials, gaussians, labels, translation, rotation, noise, seed, saveMap,
        };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(synthetic))
            {
                Console.Error.WriteLine("error: only `mosaic demo --synthetic` exists so far (the real-data demo comes with the evaluation work)");
                return 2;
            }
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
}
