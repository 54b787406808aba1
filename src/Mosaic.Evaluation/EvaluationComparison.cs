using System.Globalization;
using System.Text.Json;
using Mosaic.Core.Geometry;

namespace Mosaic.Evaluation;

/// <summary>One mode (or baseline) of a stored evaluation.</summary>
/// <param name="Accuracy">Its accuracy; medians are +∞ where metrics.json has null (more than half without a pose), NaN without frames.</param>
/// <param name="LatencyP50Ms">Median total latency per frame, ms; NaN for the baselines.</param>
/// <param name="Errors">
/// Per query frame scored, its translation (m) and rotation (degrees) error, +∞ without a pose: where the run's
/// trajectories were scored (<see cref="StoredEvaluation.LoadAgainst"/>, <see cref="StoredEvaluation.LoadScored"/>);
/// null where only metrics.json was read.
/// </param>
public sealed record StoredMode(AccuracySummary Accuracy, double LatencyP50Ms, IReadOnlyList<(double Translation, double RotationDeg)>? Errors = null);

/// <summary>
/// An evaluation read back from the metrics.json that <see cref="EvaluationReport"/> wrote: every mode
/// and baseline under the names the report uses ("retrieval", "tracking", "odometry only",
/// "retrieval only").
/// </summary>
/// <param name="Path">The metrics.json read.</param>
/// <param name="Modes">By name.</param>
/// <param name="QueryFrames">The run's query frames, where <see cref="LoadAgainst"/> scored it against another ground truth (its modes' <see cref="AccuracySummary.Frames"/> are those that truth has); null otherwise.</param>
public sealed record StoredEvaluation(string Path, IReadOnlyDictionary<string, StoredMode> Modes, int? QueryFrames = null)
{
    /// <summary>How far apart (ns) a query frame's stamp and a ground-truth pose's may be and still be the same frame.</summary>
    public const long StampTolerance = 1_000_000;

    /// <summary>
    /// Reads <paramref name="directory"/> as <see cref="Load"/> does, then scores each mode's and baseline's
    /// trajectory (<see cref="EvaluationReport.TrajectoryFile"/>) against <paramref name="truth"/> instead of the
    /// run's own ground truth: over the run's query frames (<see cref="EvaluationReport.GroundTruthFile"/>) that
    /// <paramref name="truth"/> has a pose for (within <see cref="StampTolerance"/>), the others left out, never
    /// interpolated. A frame without a pose in a trajectory counts as infinitely wrong, as in <c>mosaic eval</c>.
    /// Latencies stay the run's. For instance, a run scored against <c>mosaic map check-poses</c>' depth-aligned
    /// poses measures the same localized drive against a reference that agrees with the map.
    /// </summary>
    /// <exception cref="FileNotFoundException">metrics.json or one of the run's TUM files is missing.</exception>
    /// <exception cref="FormatException">A file is malformed; the message names it.</exception>
    public static StoredEvaluation LoadAgainst(string directory, IReadOnlyList<TumPose> truth) => Scored(Load(directory), truth);

    /// <summary>
    /// <see cref="LoadAgainst"/> the run's own ground truth (<see cref="EvaluationReport.GroundTruthFile"/>): the
    /// figures of metrics.json, with each frame's errors (<see cref="StoredMode.Errors"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">metrics.json or one of the run's TUM files is missing.</exception>
    /// <exception cref="FormatException">A file is malformed; the message names it.</exception>
    public static StoredEvaluation LoadScored(string directory) => Scored(Load(directory), truth: null) with { QueryFrames = null };

    /// <summary><paramref name="stored"/>'s trajectories scored against <paramref name="truth"/>, or against the run's own ground truth when it is null.</summary>
    private static StoredEvaluation Scored(StoredEvaluation stored, IReadOnlyList<TumPose>? truth)
    {
        string runDirectory = System.IO.Path.GetDirectoryName(stored.Path)!;
        var own = ReadTum(runDirectory, EvaluationReport.GroundTruthFile);
        truth ??= own;
        var truthStamps = truth.Select(p => p.Stamp).ToArray();
        var truthPoses = truth.Select(p => p.ToSe3()).ToArray();
        Array.Sort(truthStamps, truthPoses);
        var queries = own.Select(p => p.Stamp).ToList();
        var scored = queries.Select(stamp => (Stamp: stamp, Truth: Nearest(truthStamps, truthPoses, stamp))).Where(q => q.Truth is not null).ToList();
        var modes = new Dictionary<string, StoredMode>();
        foreach (var (name, mode) in stored.Modes)
        {
            var poses = ReadTum(runDirectory, EvaluationReport.TrajectoryFile(name));
            var stamps = poses.Select(p => p.Stamp).ToArray();
            var estimates = poses.Select(p => p.ToSe3()).ToArray();
            Array.Sort(stamps, estimates);
            var errors = scored.Select(q =>
            {
                if (Nearest(stamps, estimates, q.Stamp) is not { } estimate)
                    return (double.PositiveInfinity, double.PositiveInfinity);
                var (translation, rotation) = Se3.Distance(estimate, q.Truth!.Value);
                return (translation, rotation * 180 / Math.PI);
            }).ToList();
            modes[name] = mode with { Accuracy = AccuracySummary.Of(errors), Errors = errors };
        }
        return new StoredEvaluation(stored.Path, modes, queries.Count);
    }

    private static IReadOnlyList<TumPose> ReadTum(string directory, string name)
    {
        string path = System.IO.Path.Combine(directory, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file (an output directory of `mosaic eval` has one per mode and baseline)", path);
        return TumTrajectory.Parse(File.ReadLines(path), path);
    }

    /// <summary>The pose whose stamp is nearest <paramref name="stamp"/>, if within <see cref="StampTolerance"/>; <paramref name="stamps"/> sorted.</summary>
    private static Se3? Nearest(long[] stamps, Se3[] poses, long stamp)
    {
        int i = Array.BinarySearch(stamps, stamp);
        if (i >= 0)
            return poses[i];
        i = ~i;
        int best = -1;
        foreach (int j in (ReadOnlySpan<int>)[i - 1, i])
            if (j >= 0 && j < stamps.Length && Math.Abs(stamps[j] - stamp) <= StampTolerance && (best < 0 || Math.Abs(stamps[j] - stamp) < Math.Abs(stamps[best] - stamp)))
                best = j;
        return best < 0 ? null : poses[best];
    }

    /// <summary>Reads <paramref name="directoryOrFile"/> (an evaluation directory or its metrics.json).</summary>
    /// <exception cref="FileNotFoundException">There is no metrics.json.</exception>
    /// <exception cref="FormatException">The file is not a metrics.json of <c>mosaic eval</c>; the message names the file and the field.</exception>
    public static StoredEvaluation Load(string directoryOrFile)
    {
        string path = Directory.Exists(directoryOrFile) ? System.IO.Path.Combine(directoryOrFile, "metrics.json") : directoryOrFile;
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file (give an output directory of `mosaic eval`)", path);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var modes = new Dictionary<string, StoredMode>();
            foreach (var mode in Field(root, "modes", "").EnumerateObject())
            {
                string where = $"modes.{mode.Name}";
                var accuracy = ReadAccuracy(Field(mode.Value, "accuracy", where), where + ".accuracy");
                var total = Field(Field(mode.Value, "latency_ms", where), "total", where + ".latency_ms");
                modes[mode.Name] = new StoredMode(accuracy, Number(Field(total, "p50", where + ".latency_ms.total"), double.NaN));
            }
            var baselines = Field(root, "baselines", "");
            foreach (var (key, name) in new[] { ("odometry_only", EvaluationReport.OdometryOnly), ("retrieval_only", EvaluationReport.RetrievalOnly) })
                if (baselines.TryGetProperty(key, out var baseline) && baseline.ValueKind == JsonValueKind.Object)
                    modes[name] = new StoredMode(ReadAccuracy(baseline, $"baselines.{key}"), double.NaN);
            return new StoredEvaluation(path, modes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{path}: not a metrics.json of `mosaic eval`: {e.Message}", e);
        }
    }

    private static AccuracySummary ReadAccuracy(JsonElement accuracy, string where)
    {
        int frames = Field(accuracy, "frames", where).GetInt32();
        // The report writes a non-finite median as null: +∞ (more than half without a pose), or NaN (no frames).
        double unmeasured = frames == 0 ? double.NaN : double.PositiveInfinity;
        double translation = Number(Field(accuracy, "median_translation_cm", where), unmeasured) / 100;
        double rotation = Number(Field(accuracy, "median_rotation_deg", where), unmeasured);
        var recall = Field(accuracy, "recall", where);
        var recalls = RecallThreshold.Standard.Select(t => Number(Field(recall, t.ToString(), where + ".recall"), double.NaN)).ToList();
        return new AccuracySummary(frames, translation, rotation, recalls);
    }

    /// <summary>The field <paramref name="name"/> of the object at <paramref name="where"/> (a dotted path, "" for the root).</summary>
    private static JsonElement Field(JsonElement element, string name, string where) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value
        : throw new KeyNotFoundException($"{(where.Length == 0 ? "the top level" : where)} has no field \"{name}\"");

    /// <summary>The number, or <paramref name="ifNull"/> where the report wrote null (a non-finite value).</summary>
    private static double Number(JsonElement element, double ifNull) => element.ValueKind == JsonValueKind.Null ? ifNull : element.GetDouble();
}

/// <summary>Mean, least and largest of a set of runs' values (+∞ propagates; NaN when there is no value).</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Min">Least value.</param>
/// <param name="Max">Largest value.</param>
public readonly record struct Spread(double Mean, double Min, double Max)
{
    /// <summary>The spread of <paramref name="values"/>; NaN values (not measured) are left out.</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var measured = values.Where(v => !double.IsNaN(v)).ToList();
        return measured.Count == 0 ? new Spread(double.NaN, double.NaN, double.NaN) : new Spread(measured.Average(), measured.Min(), measured.Max());
    }

    /// <summary>"5.4" for one value, "5.4 (5.0-5.9)" for several, "-" when not measured, ∞ for infinite.</summary>
    public string Format(int decimals, double scale = 1)
    {
        string F(double v) => double.IsNaN(v) ? "-" : double.IsFinite(v) ? (v * scale).ToString("F" + decimals, CultureInfo.InvariantCulture) : "∞";
        return Min == Max || double.IsNaN(Mean) ? F(Mean) : $"{F(Mean)} ({F(Min)}-{F(Max)})";
    }
}

/// <summary>One group of runs (e.g. one parameter file over several seeds) in one mode.</summary>
/// <param name="Group">The group's name.</param>
/// <param name="Mode">"retrieval", "tracking", "from-truth", "odometry only" or "retrieval only".</param>
/// <param name="Runs">Runs that have this mode.</param>
/// <param name="Frames">Frames per run (their spread: runs over different windows differ).</param>
/// <param name="MedianTranslation">The runs' median translation errors, metres.</param>
/// <param name="MedianRotationDeg">The runs' median rotation errors, degrees.</param>
/// <param name="Recalls">Per <see cref="RecallThreshold.Standard"/>, the runs' recalls.</param>
/// <param name="LatencyP50Ms">The runs' median total latency, ms.</param>
public sealed record GroupComparison(string Group, string Mode, int Runs, Spread Frames, Spread MedianTranslation, Spread MedianRotationDeg,
    IReadOnlyList<Spread> Recalls, Spread LatencyP50Ms);

/// <summary>
/// Puts several evaluations side by side, grouped (for instance the same parameters built with several
/// seeds): per mode and group, the mean of each figure over the group's runs and its range. One run
/// says little where the map builder's training varies from seed to seed (docs/localization-redkitchen.md).
/// </summary>
public static class EvaluationComparison
{
    private static readonly string[] Order = ["retrieval", "tracking", "from-truth", EvaluationReport.OdometryOnly, EvaluationReport.RetrievalOnly];

    /// <summary>The order modes are listed in (other names follow, alphabetically).</summary>
    public static IReadOnlyList<string> ModeOrder => Order;

    private static readonly string[] GroupColors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>
    /// The translation error CDF of one mode, one line per group that has it: the share of the group's frames (all
    /// its runs' frames pooled) within each error. Needs runs read with their errors (<see cref="StoredEvaluation.LoadScored"/>
    /// or <see cref="StoredEvaluation.LoadAgainst"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A run of a group was read without its errors.</exception>
    public static string ErrorCdf(string mode, IReadOnlyList<(string Name, IReadOnlyList<StoredEvaluation> Runs)> groups)
    {
        var chart = new SvgChart { Title = $"{mode}: translation error CDF (share of each group's frames within x)", XLabel = "translation error, cm (log)", YLabel = "share of frames", LogX = true, YRange = (0, 1) };
        foreach (var ((name, runs), i) in groups.Select((g, i) => (g, i)))
        {
            var present = runs.Where(r => r.Modes.ContainsKey(mode)).ToList();
            if (present.Count == 0)
                continue;
            var errors = present.SelectMany(r => r.Modes[mode].Errors ?? throw new ArgumentException($"{r.Path}: read without its trajectories' errors")).Select(e => e.Translation);
            chart.Line(name, GroupColors[i % GroupColors.Length], EvaluationReport.CdfPoints(errors));
        }
        return chart.ToSvg();
    }

    /// <summary>One row per mode (in <see cref="ModeOrder"/>) and group (in the given order) that has the mode.</summary>
    public static IReadOnlyList<GroupComparison> Compare(IReadOnlyList<(string Name, IReadOnlyList<StoredEvaluation> Runs)> groups)
    {
        var modes = groups.SelectMany(g => g.Runs).SelectMany(r => r.Modes.Keys).Distinct()
            .OrderBy(m => Array.IndexOf(Order, m) is int i and >= 0 ? i : int.MaxValue).ThenBy(m => m, StringComparer.Ordinal);
        var rows = new List<GroupComparison>();
        foreach (string mode in modes)
        {
            foreach (var (name, runs) in groups)
            {
                var present = runs.Where(r => r.Modes.ContainsKey(mode)).Select(r => r.Modes[mode]).ToList();
                if (present.Count == 0)
                    continue;
                rows.Add(new GroupComparison(name, mode, present.Count,
                    Spread.Of(present.Select(m => (double)m.Accuracy.Frames)),
                    Spread.Of(present.Select(m => m.Accuracy.MedianTranslation)),
                    Spread.Of(present.Select(m => m.Accuracy.MedianRotationDeg)),
                    RecallThreshold.Standard.Select((_, i) => Spread.Of(present.Select(m => m.Accuracy.Recalls[i]))).ToList(),
                    Spread.Of(present.Select(m => m.LatencyP50Ms))));
            }
        }
        return rows;
    }
}
