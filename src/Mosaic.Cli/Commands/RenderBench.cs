using System.CommandLine;
using System.Diagnostics;
using Mosaic.Core.Imaging;
using Mosaic.Core.Synthetic;
using Mosaic.Localization;
using Mosaic.Localization.Parameters;
using Mosaic.Rendering.Cuda;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary>
/// <c>mosaic bench render</c>: forward, forward+backward and full refinement times at 640x480 on the
/// synthetic room, per map size, on the chosen compute backend (the CUDA issue's measurements).
/// </summary>
internal static class RenderBench
{
    public static Command Create()
    {
        var backend = new Option<string>("--backend") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var device = new Option<int>("--device") { Description = "GPU ordinal.", DefaultValueFactory = _ => 0 };
        var gaussians = new Option<string>("--gaussians") { Description = "Comma-separated approximate map sizes.", DefaultValueFactory = _ => "100000,500000,1000000" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per measurement (the median is reported), after one warm-up.", DefaultValueFactory = _ => 5 };
        var command = new Command("render", "Forward, forward+backward and full coarse-to-fine refinement times at 640x480 (synthetic room, K = 16) on a compute backend.")
        {
            backend, device, gaussians, repeats,
        };
        command.SetAction(parse =>
        {
            int runs = Math.Max(1, parse.GetValue(repeats));
            var camera = SyntheticRoom.Camera;
            var table = new Table().AddColumns("Gaussians", "forward (ms)", "forward+backward (ms)", "refine levels 3..0 (ms)", "refine iterations");
            foreach (string size in parse.GetValue(gaussians)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var map = SyntheticRoom.Generate(int.Parse(size, System.Globalization.CultureInfo.InvariantCulture), 16, 1);
                ComputeRenderer compute;
                try
                {
                    compute = Compute.Renderer(map, new ComputeParameters { Backend = parse.GetValue(backend)!, Device = parse.GetValue(device) });
                }
                catch (CudaException e)
                {
                    Console.Error.WriteLine($"mosaic bench render: {e.Message}");
                    return 2;
                }
                try
                {
                    var renderer = compute.Renderer;
                    var rng = new Random(1);
                    var truth = SyntheticRoom.RandomCameraPose(rng).Inverse();
                    var query = LabelDistributionImage.FromLabels(renderer.Render(truth, camera).HardLabels(), 16);
                    var start = Core.Geometry.Se3.Exp(new Core.Geometry.Tangent(new Core.Geometry.Vector3d(0.03, -0.02, 0.02), new Core.Geometry.Vector3d(0.01, 0.02, -0.01))) * truth;
                    double forward = Median(runs, () => renderer.Render(start, camera));
                    double backward = Median(runs, () => renderer.Evaluate(start, camera, query, withGradient: true));
                    var refiner = new PoseRefiner(renderer, new RefinerOptions { CoarsestLevel = 3, FinestLevel = 0 });
                    int iterations = 0;
                    double refine = Median(runs, () => iterations = refiner.Refine(query, camera, start).Iterations);
                    table.AddRow($"{map.Count:N0}", $"{forward:F1}", $"{backward:F1}", $"{refine:F1}", $"{iterations}");
                }
                finally
                {
                    (compute.Renderer as IDisposable)?.Dispose();
                }
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{Environment.ProcessorCount} logical cores; medians of {runs} runs after a warm-up; times include copying results back to the host.");
            return 0;
        });
        return command;
    }

    private static double Median(int runs, Action action)
    {
        action();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
