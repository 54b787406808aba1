using System.CommandLine;
using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Mosaic.Rendering;
using Mosaic.Rendering.Cuda;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic cuda check</c>: the CUDA backend against the CPU backend on this machine's GPU.</summary>
internal static class CudaCommand
{
    public static Command Create()
    {
        var command = new Command("cuda", "The CUDA backend on this machine.");
        command.Subcommands.Add(Check());
        return command;
    }

    private static Command Check()
    {
        var map = new Option<string?>("--map") { Description = "Also compare on this map directory, at its keyframes." };
        var device = new Option<int>("--device") { Description = "GPU ordinal.", DefaultValueFactory = _ => 0 };
        var command = new Command("check",
            "Parity of the CUDA backend with the CPU backend (forward images, loss, gradient, normal matrix at pyramid levels 0-3, " +
            "outputs poisoned to catch unwritten memory, 10 repeated runs to catch races). Exit 0 when all agree, 1 otherwise, 2 without a usable GPU.")
        {
            map, device,
        };
        command.SetAction(parse =>
        {
            try
            {
                return Run(parse.GetValue(map), new CudaOptions { Device = parse.GetValue(device) });
            }
            catch (CudaException e)
            {
                Console.Error.WriteLine($"mosaic cuda check: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static int Run(string? mapPath, CudaOptions options)
    {
        var cases = new List<(string Name, GaussianMap Map, Se3 Pose, PinholeCamera Camera, LabelDistributionImage Query)>();
        var room = SyntheticRoom.Generate(20_000, 16, 1);
        var cpuRoom = new CpuLabelRenderer<float>(room);
        var rng = new Random(1);
        for (int i = 0; i < 3; i++)
        {
            var truth = SyntheticRoom.RandomCameraPose(rng).Inverse();
            var query = LabelDistributionImage.FromLabels(cpuRoom.RenderHardLabels(truth, SyntheticRoom.Camera), 16);
            cases.Add(($"synthetic room {room.Count:N0} G, pose {i + 1}", room, Nudge(truth), SyntheticRoom.Camera, query));
        }
        if (mapPath is string path)
        {
            var real = MapDirectory.Load(path);
            var keyframes = real.Keyframes ?? throw new ArgumentException($"{path}: the map has no keyframes to take poses from");
            var cpuReal = new CpuLabelRenderer<float>(real.Gaussians);
            foreach (int k in new[] { 0, keyframes.Keyframes.Count / 2, keyframes.Keyframes.Count - 1 })
            {
                var truth = keyframes.Keyframes[k].MapFromCamera.Inverse();
                var query = LabelDistributionImage.FromLabels(cpuReal.RenderHardLabels(truth, keyframes.Camera), real.Gaussians.LabelCount);
                cases.Add(($"{Path.GetFileName(Path.GetFullPath(path))} {real.Gaussians.Count:N0} G, keyframe {k}", real.Gaussians, Nudge(truth), keyframes.Camera, query));
            }
        }

        var table = new Table().AddColumns("case", "level", "A", "A_k (pixels off)", "depth", "loss", "gradient", "normal", "result");
        int failures = 0;
        string? deviceName = null;
        foreach (var group in cases.GroupBy(c => c.Map))
        {
            using var cuda = CudaLabelRenderer.Create(group.Key, options: options);
            cuda.PoisonOutputs = true;
            deviceName ??= cuda.DeviceDescription;
            var cpu = new CpuLabelRenderer<float>(group.Key);
            foreach (var (name, _, pose, camera, query) in group)
            {
                for (int level = 0; level <= 3; level++)
                {
                    var result = BackendParity.Compare(cuda, cpu, pose, camera.AtLevel(level), query.Downsample(1 << level), withRender: level == 0);
                    var problems = result.Problems.ToList();
                    if (level == 0)
                        problems.AddRange(BackendParity.Repeatability(cuda, pose, camera, query, runs: 10));
                    failures += problems.Count > 0 ? 1 : 0;
                    table.AddRow(Markup.Escape(name), $"{level}", level == 0 ? $"{result.AlphaError:G2}" : "", level == 0 ? $"{result.LabelWeightError:G2} ({result.LabelWeightPixelShare:P3})" : "", level == 0 ? $"{result.DepthError:G2}" : "",
                        $"{result.LossError:G2}", $"{result.GradientError:G2}", $"{result.NormalError:G2}",
                        problems.Count == 0 ? "[green]ok[/]" : $"[red]{Markup.Escape(string.Join("; ", problems))}[/]");
                }
            }
        }
        AnsiConsole.MarkupLineInterpolated($"CUDA: {deviceName}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"tolerances: A and A_k {BackendParity.WeightTolerance:G2} (A_k may exceed it at {BackendParity.OrderTiePixelShare:P2} of pixels: depth ties), depth {BackendParity.DepthTolerance:G2}, loss {BackendParity.LossTolerance:G2}, gradient {BackendParity.GradientTolerance:G2}, normal {BackendParity.NormalTolerance:G2} (relative)");
        AnsiConsole.MarkupLine(failures == 0 ? "[green]the CUDA backend agrees with the CPU backend[/]" : $"[red]{failures} comparison(s) outside the tolerances[/]");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>A few centimetres and about a degree off <paramref name="pose"/>, as refinement sees it.</summary>
    private static Se3 Nudge(Se3 pose) => Se3.Exp(new Tangent(new Vector3d(0.03, -0.02, 0.04), new Vector3d(0.01, -0.015, 0.02))) * pose;
}
