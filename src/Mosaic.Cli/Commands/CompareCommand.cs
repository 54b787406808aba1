using System.CommandLine;
using System.Globalization;
using System.Text;
using Mosaic.Core.Geometry;
using Mosaic.Evaluation;
using Spectre.Console;

namespace Mosaic.Cli.Commands;

/// <summary><c>mosaic compare</c>: several <c>mosaic eval</c> outputs side by side, grouped, with means and ranges.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs")
        {
            Description = "Evaluation output directories (of `mosaic eval --out`), each alone (DIR) or grouped (NAME=DIR,DIR,...: " +
                "for instance one parameter file built with several seeds; the group's row shows the mean and, in brackets, the range).",
            Arity = ArgumentArity.OneOrMore,
        };
        var mode = new Option<string[]>("--mode")
        {
            Description = "Only these modes (retrieval, tracking, from-truth, \"odometry only\", \"retrieval only\"); repeatable. Default: all.",
            AllowMultipleArgumentsPerToken = true,
        };
        var markdown = new Option<bool>("--markdown") { Description = "Print a Markdown table (for docs) instead of a console table." };
        var groundTruth = new Option<string?>("--gt")
        {
            Description = "Score each run's trajectories against this TUM ground truth instead of taking its metrics.json figures, on the run's " +
                "query frames it has a pose for (the others are left out, never interpolated); latencies stay the run's. For instance " +
                "`mosaic map check-poses`' depth_aligned.tum: the same localized drive against a reference that agrees with the map.",
        };
        var output = new Option<string?>("--out")
        {
            Description = "Also write, to this directory, the table as compare.md and each mode's translation error CDF with one line per group " +
                "(cdf_<mode>.svg), scored from the runs' trajectories (or against --gt).",
        };
        var command = new Command("compare", "Put evaluations side by side: per mode, each run or group of runs (mean and range), from their metrics.json " +
            "(or scored against another ground truth, --gt).")
        {
            runs, mode, markdown, groundTruth, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                string? truthPath = parse.GetValue(groundTruth);
                IReadOnlyList<TumPose>? truth = null;
                if (truthPath is not null)
                {
                    truth = File.Exists(truthPath) ? TumTrajectory.Parse(File.ReadLines(truthPath), truthPath) : throw new FileNotFoundException($"{truthPath}: no such file", truthPath);
                    if (truth.Count == 0)
                        throw new FormatException($"{truthPath}: no poses in the TUM file");
                }
                string? outputDirectory = parse.GetValue(output);
                var groups = parse.GetValue(runs)!.Select(token => ParseGroup(token, truth, scored: outputDirectory is not null)).ToList();
                var modes = parse.GetValue(mode) ?? [];
                var unknown = modes.Where(m => !EvaluationComparison.ModeOrder.Contains(m)).ToList();
                if (unknown.Count > 0)
                    throw new ArgumentException($"unknown --mode {string.Join(", ", unknown)}: use {string.Join(", ", EvaluationComparison.ModeOrder)}");
                var rows = EvaluationComparison.Compare(groups).Where(r => modes.Length == 0 || modes.Contains(r.Mode)).ToList();
                if (truth is not null)
                {
                    var scored = groups.SelectMany(g => g.Runs).Select(r => r.Modes.Values.First().Accuracy.Frames).ToList();
                    var queries = groups.SelectMany(g => g.Runs).Select(r => r.QueryFrames!.Value).ToList();
                    string Range(List<int> n) => n.Min() == n.Max() ? $"{n[0]}" : $"{n.Min()}-{n.Max()}";
                    Console.WriteLine($"Scored against {truthPath}: {Range(scored)} of {Range(queries)} query frames per run.");
                    if (scored.Any(n => n == 0))
                        throw new ArgumentException($"{truthPath}: has no pose at the query frames of {string.Join(", ", groups.SelectMany(g => g.Runs).Where(r => r.Modes.Values.First().Accuracy.Frames == 0).Select(r => r.Path))}");
                }
                if (parse.GetValue(markdown))
                    Console.Write(Markdown(rows));
                else
                    AnsiConsole.Write(Table(rows));
                if (outputDirectory is not null)
                    WriteFiles(outputDirectory, rows, groups, truthPath);
                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or FormatException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>"NAME=DIR,DIR" or "DIR" (named after the directory; also when the path itself holds a '='), each run scored against <paramref name="truth"/> when given.</summary>
    private static (string Name, IReadOnlyList<StoredEvaluation> Runs) ParseGroup(string token, IReadOnlyList<TumPose>? truth, bool scored)
    {
        int equals = Directory.Exists(token) || File.Exists(token) ? -1 : token.IndexOf('=');
        string name = equals > 0 ? token[..equals] : Path.GetFileName(Path.TrimEndingDirectorySeparator(token));
        var paths = (equals > 0 ? token[(equals + 1)..] : token).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0)
            throw new ArgumentException($"\"{token}\": no directory after the name");
        return (name, paths.Select(path => truth is not null ? StoredEvaluation.LoadAgainst(path, truth) : scored ? StoredEvaluation.LoadScored(path) : StoredEvaluation.Load(path)).ToList());
    }

    /// <summary>compare.md (the table, what it was scored against, the plots) and one error CDF per mode.</summary>
    private static void WriteFiles(string directory, IReadOnlyList<GroupComparison> rows, IReadOnlyList<(string Name, IReadOnlyList<StoredEvaluation> Runs)> groups, string? truthPath)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder("# Mosaic comparison\n\n");
        foreach (var (name, runs) in groups)
            md.Append(CultureInfo.InvariantCulture, $"- {name}: {string.Join(", ", runs.Select(r => $"`{Path.GetDirectoryName(r.Path)}`"))}\n");
        md.Append(truthPath is null ? "\nScored against each run's own ground truth.\n\n" : $"\nScored against `{truthPath}`, on the query frames it has a pose for.\n\n");
        md.Append(Markdown(rows));
        foreach (string mode in rows.Select(r => r.Mode).Distinct())
        {
            string file = $"cdf_{mode.Replace(' ', '-')}.svg";
            File.WriteAllText(Path.Combine(directory, file), EvaluationComparison.ErrorCdf(mode, groups));
            md.Append(CultureInfo.InvariantCulture, $"\n![{mode}: translation error CDF]({file})\n");
        }
        File.WriteAllText(Path.Combine(directory, "compare.md"), md.ToString());
        Console.WriteLine($"Wrote {Path.Combine(directory, "compare.md")} and the error CDFs beside it.");
    }

    private static IEnumerable<string> Headers() =>
        new[] { "mode", "run", "runs", "frames", "median cm", "median deg" }
            .Concat(RecallThreshold.Standard.Select(t => t.ToString() + " %"))
            .Append("latency p50 ms");

    private static IEnumerable<string> Cells(GroupComparison row) =>
        new[] { row.Mode, row.Group, row.Runs.ToString(CultureInfo.InvariantCulture), row.Frames.Format(0), row.MedianTranslation.Format(1, 100), row.MedianRotationDeg.Format(2) }
            .Concat(row.Recalls.Select(r => r.Format(1, 100)))
            .Append(row.LatencyP50Ms.Format(0));

    private static Table Table(IReadOnlyList<GroupComparison> rows)
    {
        var table = new Table();
        foreach (var (header, i) in Headers().Select((h, i) => (h, i)))
            table.AddColumn(i < 2 ? new TableColumn(header) : new TableColumn(header).RightAligned());
        foreach (var row in rows)
            table.AddRow(Cells(row).Select(Markup.Escape).ToArray());
        return table;
    }

    private static string Markdown(IReadOnlyList<GroupComparison> rows)
    {
        var md = new StringBuilder();
        var headers = Headers().ToList();
        md.Append("| ").AppendJoin(" | ", headers).Append(" |\n");
        md.Append("|---|---|").AppendJoin("", Enumerable.Repeat("---:|", headers.Count - 2)).Append('\n');
        foreach (var row in rows)
            md.Append("| ").AppendJoin(" | ", Cells(row)).Append(" |\n");
        return md.ToString();
    }
}
