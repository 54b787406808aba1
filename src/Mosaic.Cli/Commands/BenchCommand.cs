using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Mosaic.Core.Synthetic;
using Mosaic.Core.Imaging;
using Mosaic.Localization;
using Mosaic.Rendering;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic bench basin|memory</c>: measurements that are not micro-benchmarks.</summary>
internal static class BenchCommand
{
    /// <summary>Initial error bins: (cm, deg) pairs, as the foundation issue asks.</summary>
    private static readonly (double Cm, double Deg)[] Bins = [(2, 1), (5, 2), (10, 5), (20, 10), (40, 20)];

    /// <summary>
    /// Runs <paramref name="work"/> once, and again until 2 s have passed, before anything is timed: the JIT
    /// optimises a method only after dozens of calls (tiered compilation), and a running node is timed on the
    /// optimised code within seconds.
    /// </summary>
    internal static void WarmUp(Action work)
    {
        var clock = Stopwatch.StartNew();
        do
            work();
        while (clock.Elapsed < TimeSpan.FromSeconds(2));
    }

    public static Command Create()
    {
        var command = new Command("bench", "Measurements: basin of convergence, peak memory, bag throughput, the node under load, render and refine times per backend, segmenter cost. (Micro-benchmarks: tests/Mosaic.Benchmarks.)");
        command.Subcommands.Add(Basin());
        command.Subcommands.Add(Memory());
        command.Subcommands.Add(BagBench.Create());
        command.Subcommands.Add(NodeBench.Create());
        command.Subcommands.Add(RenderBench.Create());
        command.Subcommands.Add(SegmentBench.Create());
        return command;
    }

    private static Command Basin()
    {
        var trials = new Option<int>("--trials") { Description = "Trials per bin and variant.", DefaultValueFactory = _ => 20 };
        var gaussians = new Option<int>("--gaussians") { Description = "Approximate Gaussian count of the room.", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "Random seed." };
        var output = new Option<string?>("--out") { Description = "Also write the Markdown table to this file." };
        var biasCorrection = new Option<int>("--bias-correction") { Description = "Rounds of RefinerOptions.BiasCorrectionRounds (README \"Pose refinement\"); 0 = none.", DefaultValueFactory = _ => 0 };
        var finestLevel = new Option<int>("--finest-level") { Description = "RefinerOptions.FinestLevel: the pyramid level refinement ends at (0 = 640x480).", DefaultValueFactory = _ => new RefinerOptions().FinestLevel };
        var command = new Command("basin", "Success rate of refinement from initial errors of 2/5/10/20/40 cm with 1/2/5/10/20 deg, clean and noisy queries.")
        {
            trials, gaussians, seed, output, biasCorrection, finestLevel,
        };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(trials);
            var camera = SyntheticRoom.Camera;
            int rounds = parse.GetValue(biasCorrection);
            var options = new RefinerOptions { BiasCorrectionRounds = rounds, FinestLevel = parse.GetValue(finestLevel) };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"mosaic bench basin: {e.Message}");
                return 2;
            }
            var setup = new SyntheticTrials(parse.GetValue(gaussians), 16, parse.GetValue(seed), camera, options);
            var rows = new List<string>();
            AnsiConsole.Progress().Start(progress =>
            {
                var task = progress.AddTask("Refining", maxValue: Bins.Length * 2 * n);
                foreach (bool noise in new[] { false, true })
                {
                    var rng = new Random(parse.GetValue(seed) + (noise ? 1000 : 0));
                    foreach (var (cm, deg) in Bins)
                    {
                        var results = new List<TrialResult>();
                        for (int i = 0; i < n; i++)
                        {
                            results.Add(setup.Run(rng, cm / 100, deg * Math.PI / 180, noise));
                            task.Increment(1);
                        }
                        rows.Add(Row(noise, cm, deg, results));
                    }
                }
            });
            var table = new StringBuilder();
            table.AppendLine($"Synthetic room, {setup.Map.Count:N0} Gaussians, K = 16, camera {camera.Width}x{camera.Height}, {n} trials per row, RefinerOptions levels {options.CoarsestLevel}..{options.FinestLevel}{(rounds > 0 ? $" with {rounds} rounds of bias correction" : "")}.");
            table.AppendLine("Success: final error < 1 mm and 0.05 deg (clean), < 1 cm and 0.2 deg (noisy: 5% wrong labels, 10% ignored pixels).");
            table.AppendLine();
            table.AppendLine("| query | initial error | success | within 1 cm / 0.2 deg | median final error | median time |");
            table.AppendLine("|---|---|---|---|---|---|");
            foreach (var row in rows)
                table.AppendLine(row);
            Console.WriteLine(table);
            if (parse.GetValue(output) is string path)
                File.WriteAllText(path, table.ToString());
            return 0;
        });
        return command;
    }

    private static string Row(bool noise, double cm, double deg, List<TrialResult> results)
    {
        double deg2rad = Math.PI / 180;
        bool Strict(TrialResult r) => noise
            ? r.FinalTranslation < 0.01 && r.FinalRotation < 0.2 * deg2rad
            : r.FinalTranslation < 0.001 && r.FinalRotation < 0.05 * deg2rad;
        bool Loose(TrialResult r) => r.FinalTranslation < 0.01 && r.FinalRotation < 0.2 * deg2rad;
        return $"| {(noise ? "noisy" : "clean")} | {cm} cm, {deg} deg | {results.Count(Strict) * 100.0 / results.Count:F0}% | {results.Count(Loose) * 100.0 / results.Count:F0}% | " +
            $"{Statistics.Median(results.Select(r => r.FinalTranslation)) * 1000:F1} mm, {Statistics.Median(results.Select(r => r.FinalRotation)) / deg2rad:F3} deg | {Statistics.Median(results.Select(r => r.Milliseconds)):F0} ms |";
    }

    private static Command Memory()
    {
        var gaussians = new Option<int>("--gaussians") { Description = "Approximate Gaussian count of the room.", DefaultValueFactory = _ => 1_000_000 };
        var command = new Command("memory", "Peak resident memory of loading a map, rendering and refining at 640x480.") { gaussians };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var map = SyntheticRoom.Generate(parse.GetValue(gaussians), 16, 1);
            var renderer = new CpuLabelRenderer<float>(map);
            var camera = SyntheticRoom.Camera;
            var truth = SyntheticRoom.RandomCameraPose(new Random(1));
            var query = LabelDistributionImage.FromLabels(renderer.RenderHardLabels(truth.Inverse(), camera), 16);
            var result = new PoseRefiner(renderer).Refine(query, camera, truth);
            Console.WriteLine($"Gaussians: {map.Count:N0}; refine iterations: {result.Iterations}; wall time {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"Peak resident set (VmHWM): {Units.PeakResidentBytes() / 1048576.0:F0} MiB; managed heap now: {GC.GetTotalMemory(false) / 1048576.0:F0} MiB");
            return 0;
        });
        return command;
    }
}
