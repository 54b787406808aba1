using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Mosaic.Localization;
using Mosaic.Rendering;
using Mosaic.Rendering.Cuda;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary>
/// <c>mosaic bench render</c>: loss (forward) and loss + gradient (forward + backward) times per pyramid
/// level, and a full coarse-to-fine refinement, on the synthetic room or a real map, on the chosen
/// compute backend. The query is the map's own hard labels at a true pose; refinement starts 3-4 cm and
/// about 2 deg away.
/// </summary>
internal static class RenderBench
{
    public static Command Create()
    {
        var backend = new Option<string>("--backend") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var device = new Option<int>("--device") { Description = "GPU ordinal.", DefaultValueFactory = _ => 0 };
        var gaussians = new Option<string>("--gaussians") { Description = "Comma-separated approximate sizes of the synthetic room (ignored with --map).", DefaultValueFactory = _ => "100000,500000,1000000" };
        var poseSeed = new Option<int>("--pose-seed") { Description = "Seed of the synthetic room's camera pose (how much of the room is in view).", DefaultValueFactory = _ => 1 };
        var map = new Option<string?>("--map") { Description = "A map directory: render it from its middle keyframe at the full resolution of the camera it was built from, instead of the synthetic room." };
        var levels = new Option<string>("--levels") { Description = "Comma-separated pyramid levels to time the loss at (0 = 640x480 for the synthetic room).", DefaultValueFactory = _ => "0" };
        var refine = new Option<string>("--refine-levels") { Description = "Coarsest..finest level of the timed refinement.", DefaultValueFactory = _ => "3..0" };
        var tileSize = new Option<int>("--tile-size") { Description = "Tile edge in pixels; 0 = the backend's default.", DefaultValueFactory = _ => 0 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per measurement (the median is reported), after 2 s of warm-up.", DefaultValueFactory = _ => 5 };
        var coarsen = new Option<double>("--coarsen") { Description = "Time the map coarsened to cubes of this edge in metres (localizer.coarse_map_voxel); 0 = as it is.", DefaultValueFactory = _ => 0 };
        var profile = new Option<bool>("--profile") { Description = "On CUDA, also time each kernel and copy of a loss+gradient evaluation (each waited for, so they add up to more than the unprofiled time)." };
        var command = new Command("render", "Loss and loss+gradient times per pyramid level and a full coarse-to-fine refinement time, on the synthetic room (K = 16) or a real map, on a compute backend.")
        {
            backend, device, gaussians, poseSeed, map, levels, refine, tileSize, repeats, profile, coarsen,
        };
        command.SetAction(parse =>
        {
            int runs = Math.Max(1, parse.GetValue(repeats));
            int[] timedLevels;
            (int Coarsest, int Finest) refineLevels;
            try
            {
                timedLevels = parse.GetValue(levels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
                var bounds = parse.GetValue(refine)!.Split("..");
                refineLevels = (int.Parse(bounds[0], CultureInfo.InvariantCulture), int.Parse(bounds[^1], CultureInfo.InvariantCulture));
            }
            catch (FormatException)
            {
                Console.Error.WriteLine("mosaic bench render: --levels takes integers like 4,3,2 and --refine-levels a range like 4..2");
                return 2;
            }
            var settings = new RenderSettings { TileSize = parse.GetValue(tileSize) is > 0 and var t ? t : null };
            IEnumerable<Scene> scenes;
            try
            {
                scenes = parse.GetValue(map) is { } directory
                    ? [RealScene(MapDirectory.Load(directory))]
                    : parse.GetValue(gaussians)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(size => SyntheticScene(int.Parse(size, CultureInfo.InvariantCulture), parse.GetValue(poseSeed))).ToList();
                if (parse.GetValue(coarsen) is > 0 and var voxel)
                    scenes = scenes.Select(scene => scene with { Map = scene.Map.Coarsened(voxel) }).ToList();
            }
            catch (Exception e) when (e is MapFormatException or IOException or FormatException or InvalidOperationException or ArgumentOutOfRangeException)
            {
                Console.Error.WriteLine($"mosaic bench render: {e.Message}");
                return 2;
            }

            var table = new Table().AddColumns("Gaussians", "image", "visible", "tile entries (longest list)", "loss (ms)", "loss+gradient (ms)");
            var profileTable = new Table().AddColumns("Gaussians", "image", "stage", "calls", "ms per evaluation");
            var refineTable = new Table().AddColumns("Gaussians", $"refine levels {refineLevels.Coarsest}..{refineLevels.Finest} (ms)", "iterations", "evaluations", "in evaluations (ms)", "final error");
            foreach (var scene in scenes)
            {
                ComputeRenderer compute;
                try
                {
                    compute = ComputeBackends.Create(scene.Map, parse.GetValue(backend)!, parse.GetValue(device), settings);
                }
                catch (CudaException e)
                {
                    Console.Error.WriteLine($"mosaic bench render: {e.Message}");
                    return 2;
                }
                try
                {
                    var renderer = compute.Renderer;
                    var camFromMap = scene.Truth.Inverse();
                    var query = LabelDistributionImage.FromLabels(renderer.RenderHardLabels(camFromMap, scene.Camera), scene.Map.LabelCount);
                    var start = scene.Truth * Se3.Exp(new Tangent(new Vector3d(0.03, -0.02, 0.02), new Vector3d(0.01, 0.02, -0.01)));
                    var timed = new TimedRenderer(renderer);
                    var refiner = new PoseRefiner(timed, new RefinerOptions { CoarsestLevel = refineLevels.Coarsest, FinestLevel = refineLevels.Finest });
                    BenchCommand.WarmUp(() => refiner.Refine(query, scene.Camera, start));
                    foreach (int level in timedLevels)
                    {
                        var camera = scene.Camera.AtLevel(level);
                        var levelQuery = query.Downsample(1 << level);
                        double loss = Median(runs, () => renderer.Evaluate(start.Inverse(), camera, levelQuery, withGradient: false));
                        LossEvaluation evaluation = null!;
                        double gradient = Median(runs, () => evaluation = renderer.Evaluate(start.Inverse(), camera, levelQuery, withGradient: true));
                        string entries = renderer is CudaLabelRenderer cuda ? $"{cuda.LastBinning.Entries:N0} ({cuda.LastBinning.LongestList:N0})" : "";
                        table.AddRow($"{scene.Map.Count:N0}", $"{camera.Width}x{camera.Height}", $"{evaluation.VisibleGaussians:N0}", entries, $"{loss:F2}", $"{gradient:F2}");
                        if (parse.GetValue(profile) && renderer is CudaLabelRenderer)
                            AddProfile(profileTable, scene.Map, settings, parse.GetValue(device), runs, start.Inverse(), camera, levelQuery);
                    }
                    RefinementResult result = null!;
                    double time = Median(runs, () => result = refiner.Refine(query, scene.Camera, start));
                    timed.Reset();
                    refiner.Refine(query, scene.Camera, start);
                    var (dt, dr) = Se3.Distance(result.MapFromCamera, scene.Truth);
                    refineTable.AddRow($"{scene.Map.Count:N0}", $"{time:F2}", $"{result.Iterations}", $"{timed.Evaluations}",
                        $"{timed.Time.TotalMilliseconds:F2}", $"{dt * 100:F2} cm, {dr * 180 / Math.PI:F2} deg");
                }
                finally
                {
                    (compute.Renderer as IDisposable)?.Dispose();
                }
            }
            AnsiConsole.MarkupLineInterpolated($"compute backend: {parse.GetValue(backend)}, tile size {(settings.TileSize?.ToString(CultureInfo.InvariantCulture) ?? "default")}");
            AnsiConsole.Write(table);
            AnsiConsole.Write(refineTable);
            if (profileTable.Rows.Count > 0)
                AnsiConsole.Write(profileTable);
            AnsiConsole.MarkupLineInterpolated($"{Environment.ProcessorCount} logical cores; medians of {runs} runs after 2 s of warm-up; times include copying results back to the host.");
            return 0;
        });
        return command;
    }

    /// <summary>Adds the time per kernel and copy of one loss+gradient evaluation on a profiling CUDA renderer, averaged over <paramref name="runs"/> after a warm-up.</summary>
    private static void AddProfile(Table table, GaussianMap map, RenderSettings settings, int device, int runs, Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query)
    {
        using var profiled = CudaLabelRenderer.Create(map, settings, new CudaOptions { Device = device }, profile: true);
        profiled.Evaluate(camFromMap, camera, query, withGradient: true);
        profiled.ResetProfile();
        for (int i = 0; i < runs; i++)
            profiled.Evaluate(camFromMap, camera, query, withGradient: true);
        var stages = profiled.Profile!;
        foreach (var stage in stages)
            table.AddRow($"{map.Count:N0}", $"{camera.Width}x{camera.Height}", stage.Stage, $"{(double)stage.Calls / runs:0.#}", $"{stage.Total.TotalMilliseconds / runs:F3}");
        table.AddRow($"{map.Count:N0}", $"{camera.Width}x{camera.Height}", "[bold]all stages[/]", "", $"{stages.Sum(s => s.Total.TotalMilliseconds) / runs:F3}");
    }

    /// <summary>Counts and times the evaluations a refinement asks for: the rest of its time is the host's.</summary>
    private sealed class TimedRenderer(ILabelRenderer inner) : ILabelRenderer
    {
        public int Evaluations { get; private set; }

        public TimeSpan Time { get; private set; }

        public int LabelCount => inner.LabelCount;

        public bool ReportsUncoveredTerms => inner.ReportsUncoveredTerms;

        public void Reset() => (Evaluations, Time) = (0, TimeSpan.Zero);

        public RenderedLabels Render(Se3 camFromMap, PinholeCamera camera) => inner.Render(camFromMap, camera);

        public Image<ushort> RenderHardLabels(Se3 camFromMap, PinholeCamera camera, double minAlpha = RenderedLabels.DefaultMinAlpha) => inner.RenderHardLabels(camFromMap, camera, minAlpha);

        public LossEvaluation Evaluate(Se3 camFromMap, PinholeCamera camera, LabelDistributionImage query, bool withGradient, IReadOnlyList<double>? uncoveredLoss = null)
        {
            long start = Stopwatch.GetTimestamp();
            var evaluation = inner.Evaluate(camFromMap, camera, query, withGradient, uncoveredLoss);
            Time += Stopwatch.GetElapsedTime(start);
            Evaluations++;
            return evaluation;
        }
    }

    /// <summary>A map, the full-resolution camera to render it with, and the true pose T_map_cam.</summary>
    private sealed record Scene(GaussianMap Map, PinholeCamera Camera, Se3 Truth);

    private static Scene SyntheticScene(int size, int poseSeed) =>
        new(SyntheticRoom.Generate(size, 16, 1), SyntheticRoom.Camera, SyntheticRoom.RandomCameraPose(new Random(poseSeed)));

    /// <summary>
    /// The map seen from its middle keyframe, with the keyframes' camera (level <c>retrieval.level</c>
    /// of the mapping camera, from the map's provenance) scaled back to level 0.
    /// </summary>
    private static Scene RealScene(PrivacyMap map)
    {
        if (map.Keyframes is not { Keyframes.Count: > 0 } database)
            throw new InvalidOperationException("the map has no keyframes to take a pose from");
        if (!map.Provenance.Parameters.TryGetValue("retrieval.level", out var levelText) || !int.TryParse(levelText, CultureInfo.InvariantCulture, out int level))
            throw new InvalidOperationException("the map's provenance does not say at which level its keyframes were rendered (retrieval.level)");
        var camera = database.Camera;
        int scale = 1 << level;
        var full = new PinholeCamera(camera.Width * scale, camera.Height * scale, camera.Fx * scale, camera.Fy * scale,
            (camera.Cx + 0.5) * scale - 0.5, (camera.Cy + 0.5) * scale - 0.5);
        return new Scene(map.Gaussians, full, database.Keyframes[database.Keyframes.Count / 2].MapFromCamera);
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
