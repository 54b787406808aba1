using System.Globalization;
using System.Text;
using System.Text.Json;
using Mosaic.Core.Geometry;

namespace Mosaic.Evaluation;

/// <summary>The numbers of a whole evaluation: each mode and each baseline.</summary>
/// <param name="Modes">Per evaluated mode.</param>
/// <param name="OdometryOnly">Odometry integrated from the first true pose (null without odometry).</param>
/// <param name="RetrievalOnly">The best-ranked keyframe's pose.</param>
/// <param name="Dropped">Frames that could not be decoded.</param>
/// <param name="OdometryDrift">How much the odometry drifts against the ground truth (null without odometry).</param>
public sealed record EvaluationSummary(IReadOnlyList<ModeSummary> Modes, AccuracySummary? OdometryOnly, AccuracySummary RetrievalOnly, int Dropped,
    OdometryDrift? OdometryDrift = null)
{
    /// <summary>Summarises a result.</summary>
    public static EvaluationSummary Of(EvaluationResult result) => new(
        result.Modes.Select(m => ModeSummary.Of(m.Key, m.Value, result.Modes.GetValueOrDefault(EvaluationMode.FromTruth))).ToList(),
        result.OdometryOnly.Count == 0 ? null : AccuracySummary.Of(result.OdometryOnly.Select(b => (b.TranslationError, b.RotationErrorDeg)).ToList()),
        AccuracySummary.Of(result.RetrievalOnly.Select(b => (b.TranslationError, b.RotationErrorDeg)).ToList()),
        result.Dropped.Count, result.OdometryDrift);

    /// <summary>
    /// "odometry drifts 2.2 % of the distance travelled (2.49 m) and 2.4 % of the angle turned (110 deg)
    /// between the frames, against the ground truth"; null without odometry.
    /// </summary>
    public string? OdometryDriftText() => OdometryDrift is not { } d ? null
        : string.Create(CultureInfo.InvariantCulture, $"odometry drifts {100 * d.PerMetre:F1} % of the distance travelled ({d.Metres:F2} m) and ")
        + (double.IsNaN(d.PerRadian) ? "the camera did not turn" : string.Create(CultureInfo.InvariantCulture, $"{100 * d.PerRadian:F1} % of the angle turned ({d.Radians * 180 / Math.PI:F0} deg)"))
        + " between the frames, against the ground truth";

    /// <summary>
    /// "; tracking ended assuming 20.0 %": the drift the localizer's fusion learnt by the end of tracking mode
    /// (<see cref="ModeSummary.FinalOdometryDrift"/>); empty without odometry or tracking mode.
    /// </summary>
    public string LearntOdometryDriftText() =>
        OdometryDrift is null || Modes.FirstOrDefault(m => m.Mode == EvaluationMode.Tracking) is not { FinalOdometryDrift: var learnt } || !double.IsFinite(learnt) ? ""
        : string.Create(CultureInfo.InvariantCulture, $"; tracking ended assuming {100 * learnt:F1} %");
}

/// <summary>
/// Writes an evaluation to a directory: metrics.json, frames.csv, one TUM trajectory per mode and
/// baseline (readable by evo), SVG plots (trajectory top view, error over time, error CDF) and
/// report.md, a one-page report that shows them.
/// </summary>
public static class EvaluationReport
{
    /// <summary>The name of the odometry-only baseline in tables, plots and <see cref="StoredEvaluation"/>.</summary>
    public const string OdometryOnly = "odometry only";

    /// <summary>The name of the retrieval-only baseline in tables, plots and <see cref="StoredEvaluation"/>.</summary>
    public const string RetrievalOnly = "retrieval only";

    private static readonly Dictionary<string, string> Colors = new()
    {
        ["ground truth"] = "#222222", ["retrieval"] = "#1f77b4", ["tracking"] = "#d62728", ["from-truth"] = "#ff7f0e", [OdometryOnly] = "#2ca02c", [RetrievalOnly] = "#9467bd",
    };

    /// <summary>Writes every file; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string directory, EvaluationResult result, EvaluationSummary summary, IReadOnlyDictionary<string, string> context)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        void Save(string name, string text)
        {
            string path = Path.Combine(directory, name);
            File.WriteAllText(path, text);
            written.Add(path);
        }
        Save("metrics.json", MetricsJson(summary, context));
        Save("frames.csv", Csv(result));
        var frames = result.Modes.Values.First().Select(f => f.Frame).ToList();
        Save(GroundTruthFile, Tum(frames.Select(f => (f.Stamp, (Se3?)f.GroundTruth))));
        foreach (var (mode, outcomes) in result.Modes)
            Save(TrajectoryFile(Name(mode)), Tum(outcomes.Select(o => (o.Frame.Stamp, o.Result.MapFromCamera))));
        if (result.OdometryOnly.Count > 0)
            Save(TrajectoryFile(OdometryOnly), Tum(result.OdometryOnly.Select(b => (b.Stamp, b.Pose))));
        Save(TrajectoryFile(RetrievalOnly), Tum(result.RetrievalOnly.Select(b => (b.Stamp, b.Pose))));
        Save("trajectory.svg", TrajectoryPlot(result));
        Save("error_over_time.svg", ErrorOverTime(result));
        Save("error_cdf.svg", ErrorCdf(result));
        if (OdometryDriftPlot(result) is { } driftPlot)
            Save("odometry_drift.svg", driftPlot);
        Save("report.md", Markdown(summary, context));
        return written;
    }

    /// <summary>The metrics table as Markdown rows (also printed by the CLI).</summary>
    public static IEnumerable<(string Name, AccuracySummary Accuracy, string Latency)> Rows(EvaluationSummary summary)
    {
        foreach (var mode in summary.Modes)
        {
            var total = mode.Latency.Single(l => l.Stage == "total");
            yield return ($"Mosaic, {Name(mode.Mode)} mode", mode.Accuracy, $"{total.P50:F0} / {total.P95:F0}");
        }
        if (summary.OdometryOnly is { } odometry)
            yield return ($"{OdometryOnly} (baseline)", odometry, "-");
        yield return ($"{RetrievalOnly} (baseline)", summary.RetrievalOnly, "-");
    }

    /// <summary>The ground truth of the query frames evaluated, one line per frame (TUM).</summary>
    public const string GroundTruthFile = "ground_truth.tum";

    /// <summary>
    /// The TUM file of a mode's poses (<c>estimate_retrieval.tum</c>, ...) or of a baseline's
    /// (<c>baseline_odometry.tum</c>, <c>baseline_retrieval.tum</c>), by the name tables use; frames without a pose have no line.
    /// </summary>
    public static string TrajectoryFile(string name) => name switch
    {
        OdometryOnly => "baseline_odometry.tum",
        RetrievalOnly => "baseline_retrieval.tum",
        _ => $"estimate_{name}.tum",
    };

    /// <summary>"retrieval", "tracking" or "from-truth": the mode's name in tables, files and metrics.json.</summary>
    public static string Name(EvaluationMode mode) => mode switch
    {
        EvaluationMode.FromTruth => "from-truth",
        _ => mode.ToString().ToLowerInvariant(),
    };

    /// <summary>The text of metrics.json (what <see cref="StoredEvaluation.Load"/> reads back); non-finite numbers are written as null.</summary>
    public static string MetricsJson(EvaluationSummary summary, IReadOnlyDictionary<string, string> context)
    {
        object Accuracy(AccuracySummary a) => new Dictionary<string, object?>
        {
            ["frames"] = a.Frames,
            ["median_translation_cm"] = Finite(a.MedianTranslation * 100),
            ["median_rotation_deg"] = Finite(a.MedianRotationDeg),
            ["recall"] = RecallThreshold.Standard.Select((t, i) => (t, i)).ToDictionary(x => x.t.ToString(), x => Finite(a.Recalls[x.i])),
        };
        var document = new Dictionary<string, object?>
        {
            ["context"] = context,
            ["success_threshold"] = $"{Evaluator.SuccessTranslation * 100:0}cm/{Evaluator.SuccessRotationDeg:0}deg",
            ["frames_dropped"] = summary.Dropped,
            ["modes"] = summary.Modes.ToDictionary(m => Name(m.Mode), m => (object)new Dictionary<string, object?>
            {
                ["accuracy"] = Accuracy(m.Accuracy),
                ["latency_ms"] = m.Latency.ToDictionary(l => l.Stage, l => (object)new { p50 = Finite(l.P50), p95 = Finite(l.P95), max = Finite(l.Max) }),
                ["frames_rejected"] = m.Rejected,
                ["frames_rejected_by_gate"] = m.RejectedBy.ToDictionary(r => Snake(r.Key.ToString()), r => r.Value),
                ["frames_without_pose"] = m.WithoutPose,
                ["frames_not_moved"] = m.NotMoved,
                ["frames_depth_refined"] = m.DepthRefined,
                ["frames_sharpened"] = m.Sharpened,
                ["frames_refined_again"] = m.RefinedAgain,
                ["failures_by_cause"] = m.Causes.ToDictionary(c => Snake(c.Key.ToString()), c => c.Value),
                ["failures_outside_from_truth_by_cause"] = m.CausesOutsideFromTruth?.ToDictionary(c => Snake(c.Key.ToString()), c => c.Value),
                ["frames_by_seed"] = m.Seeds.ToDictionary(s => Snake(s.Key.ToString()), s => s.Value),
                ["final_odometry_drift"] = Finite(m.FinalOdometryDrift),
                ["covariance"] = m.Covariance is not { } c ? null : new Dictionary<string, object?>
                {
                    ["frames"] = c.Frames, ["median_position_sigma_cm"] = Finite(c.MedianPositionSigma * 100),
                    ["median_rotation_sigma_deg"] = Finite(c.MedianRotationSigmaDeg), ["within_two_sigma"] = Finite(c.WithinTwoSigma),
                },
            }),
            ["baselines"] = new Dictionary<string, object?>
            {
                ["odometry_only"] = summary.OdometryOnly is null ? null : Accuracy(summary.OdometryOnly),
                ["odometry_drift"] = summary.OdometryDrift is not { } drift ? null : new Dictionary<string, object?>
                {
                    ["per_metre"] = Finite(drift.PerMetre), ["per_radian"] = Finite(drift.PerRadian), ["metres"] = Finite(drift.Metres), ["radians"] = Finite(drift.Radians),
                },
                ["retrieval_only"] = Accuracy(summary.RetrievalOnly),
            },
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;

    private static string Snake(string pascal) => string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string Csv(EvaluationResult result)
    {
        var csv = new StringBuilder("mode,stamp,state,accepted,seed,rejection,cause,translation_error_m,rotation_error_deg,loss,coverage,iterations,segment_ms,retrieve_ms,hypotheses_ms,refine_ms,depth_ms,total_ms,depth_refined,depth_support,odometry_translation_error_m,retrieval_translation_error_m,from_truth_translation_error_m,bias_correction_m,odometry_drift,position_sigma_m,rotation_sigma_deg,sharpened,refined_again\n");
        var odometry = result.OdometryOnly.ToDictionary(b => b.Stamp);
        var retrieval = result.RetrievalOnly.ToDictionary(b => b.Stamp);
        var fromTruth = result.Modes.GetValueOrDefault(EvaluationMode.FromTruth)?.ToDictionary(o => o.Frame.Stamp);
        foreach (var (mode, outcomes) in result.Modes)
        {
            foreach (var o in outcomes)
            {
                var r = o.Result;
                var t = r.Times;
                var sigmas = r.Covariance is { } covariance ? CovarianceCheck.Sigmas(covariance) : ((double Position, double RotationDeg)?)null;
                csv.Append(CultureInfo.InvariantCulture,
                    $"{Name(mode)},{o.Frame.Stamp},{r.State},{r.Accepted},{r.Seed},{r.Rejection},{o.Cause},{Number(o.TranslationError)},{Number(o.RotationErrorDeg)}," +
                    $"{Number(r.Refined?.Loss)},{Number(r.Refined?.Coverage)},{r.Refined?.Iterations ?? 0},{t.Segment.TotalMilliseconds:F1},{t.Retrieve.TotalMilliseconds:F1}," +
                    $"{t.Hypotheses.TotalMilliseconds:F1},{t.Refine.TotalMilliseconds:F1},{t.Depth.TotalMilliseconds:F1},{t.Total.TotalMilliseconds:F1}," +
                    $"{r.DepthRefined},{Number(r.Depth?.Support)}," +
                    $"{Number(odometry.GetValueOrDefault(o.Frame.Stamp)?.TranslationError)},{Number(retrieval.GetValueOrDefault(o.Frame.Stamp)?.TranslationError)}," +
                    $"{Number(fromTruth?.GetValueOrDefault(o.Frame.Stamp)?.TranslationError)}," +
                    // The shift is a left perturbation of T_cam_map, about the camera's own centre: its translation is how far the centre moved.
                    $"{Number(r.Refined?.Correction?.Shift.Translation.Norm)},{Number(r.OdometryDrift)}," +
                    $"{Number(sigmas?.Position)},{Number(sigmas?.RotationDeg)},{r.Sharpened is not null},{r.RefinedAgain}\n");
            }
        }
        return csv.ToString();
    }

    private static string Number(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("G6", CultureInfo.InvariantCulture) : "";

    private static string Tum(IEnumerable<(long Stamp, Se3? Pose)> poses) =>
        TumTrajectory.Format(poses.Where(p => p.Pose is not null).Select(p => (p.Stamp, p.Pose!.Value)), "camera in map");

    /// <summary>Top view: the ground truth's two principal horizontal axes (the plane it varies most in).</summary>
    private static string TrajectoryPlot(EvaluationResult result)
    {
        var frames = result.Modes.Values.First().Select(f => f.Frame).ToList();
        var (origin, u, v) = PrincipalPlane(frames.Select(f => f.GroundTruth.Translation).ToList());
        (double, double) Project(Vector3d p) => (Dot(p - origin, u), Dot(p - origin, v));
        var chart = new SvgChart { Title = "Trajectory, top view (principal plane of the ground truth)", XLabel = "m", YLabel = "m", EqualAspect = true };
        chart.Line("ground truth", Colors["ground truth"], frames.Select(f => Project(f.GroundTruth.Translation)).ToList());
        if (result.OdometryOnly.Count > 0)
            chart.Line(OdometryOnly, Colors[OdometryOnly], result.OdometryOnly.Select(b => b.Pose is { } p ? Project(p.Translation) : (double.NaN, double.NaN)).ToList());
        foreach (var (mode, outcomes) in result.Modes)
            chart.Points($"{Name(mode)} (accepted)", Colors[Name(mode)], outcomes.Where(o => o.Result.Accepted).Select(o => Project(o.Result.MapFromCamera!.Value.Translation)).ToList());
        return chart.ToSvg();
    }

    private static string ErrorOverTime(EvaluationResult result)
    {
        long t0 = result.Modes.Values.First()[0].Frame.Stamp;
        double Seconds(long stamp) => (stamp - t0) * 1e-9;
        double Cm(double m) => Math.Min(m * 100, 100);
        var chart = new SvgChart { Title = "Translation error over time (clipped at 100 cm)", XLabel = "s since the first query", YLabel = "error, cm", YRange = (0, 100) };
        if (result.OdometryOnly.Count > 0)
            chart.Line(OdometryOnly, Colors[OdometryOnly], result.OdometryOnly.Select(b => (Seconds(b.Stamp), Cm(b.TranslationError))).ToList());
        chart.Points(RetrievalOnly, Colors[RetrievalOnly], result.RetrievalOnly.Select(b => (Seconds(b.Stamp), Cm(b.TranslationError))).ToList());
        foreach (var (mode, outcomes) in result.Modes)
            chart.Line(Name(mode), Colors[Name(mode)], outcomes.Select(o => (Seconds(o.Frame.Stamp), Cm(o.TranslationError))).ToList());
        return chart.ToSvg();
    }

    /// <summary>Increments per point of the measured drift in <see cref="OdometryDriftPlot"/>: long enough to average a frame's noise, short enough to show a change.</summary>
    private const int DriftWindow = 10;

    /// <summary>
    /// The odometry's drift against the ground truth over the last <see cref="DriftWindow"/> increments,
    /// beside the drift tracking's fusion assumed at each frame (learnt from its fixes): whether the
    /// localizer noticed odometry worse than assumed, and when. Null without odometry or tracking mode.
    /// </summary>
    private static string? OdometryDriftPlot(EvaluationResult result)
    {
        if (result.OdometryDrift is null || !result.Modes.TryGetValue(EvaluationMode.Tracking, out var all))
            return null;
        var tracking = all.Where(o => o.Frame.OdomFromCamera is not null).ToList();
        long t0 = all[0].Frame.Stamp;
        double Seconds(long stamp) => (stamp - t0) * 1e-9;
        var measured = OdometryDrift.Windowed(tracking.Select(o => (o.Frame.GroundTruth, o.Frame.OdomFromCamera!.Value)).ToList(), DriftWindow);
        var perMetre = measured.Select((d, i) => (Seconds(tracking[i].Frame.Stamp), 100 * (d?.PerMetre ?? double.NaN))).ToList();
        var perRadian = measured.Select((d, i) => (Seconds(tracking[i].Frame.Stamp), 100 * (d?.PerRadian ?? double.NaN))).ToList();
        var assumed = all.Select(o => (Seconds(o.Frame.Stamp), 100 * o.Result.OdometryDrift)).ToList();
        double top = perMetre.Concat(perRadian).Concat(assumed).Select(p => p.Item2).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var chart = new SvgChart
        {
            Title = $"Odometry drift: measured over the last {DriftWindow} increments, and assumed by tracking",
            XLabel = "s since the first query", YLabel = "drift, %", YRange = (0, 1.1 * top),
        };
        chart.Line("odometry, per metre travelled", Colors[OdometryOnly], perMetre);
        chart.Line("odometry, per radian turned", "#98df8a", perRadian);
        chart.Line("assumed by tracking (learnt from its fixes)", Colors["tracking"], assumed);
        return chart.ToSvg();
    }

    /// <summary>
    /// The points of a translation error CDF: each finite error (m) in cm (0.01 cm at least, for a log axis) against the
    /// share of all the errors, infinite ones (no pose) included, at or below it.
    /// </summary>
    internal static List<(double X, double Y)> CdfPoints(IEnumerable<double> errorsM)
    {
        var all = errorsM.ToList();
        var sorted = all.Where(double.IsFinite).Select(e => Math.Max(e * 100, 0.01)).Order().ToList();
        return sorted.Select((e, i) => (e, (i + 1) / (double)all.Count)).ToList();
    }

    private static string ErrorCdf(EvaluationResult result)
    {
        var chart = new SvgChart { Title = "Translation error CDF (share of all frames within x)", XLabel = "translation error, cm (log)", YLabel = "share of frames", LogX = true, YRange = (0, 1) };
        if (result.OdometryOnly.Count > 0)
            chart.Line(OdometryOnly, Colors[OdometryOnly], CdfPoints(result.OdometryOnly.Select(b => b.TranslationError)));
        chart.Line(RetrievalOnly, Colors[RetrievalOnly], CdfPoints(result.RetrievalOnly.Select(b => b.TranslationError)));
        foreach (var (mode, outcomes) in result.Modes)
            chart.Line(Name(mode), Colors[Name(mode)], CdfPoints(outcomes.Select(o => o.TranslationError)));
        return chart.ToSvg();
    }

    private static string Markdown(EvaluationSummary summary, IReadOnlyDictionary<string, string> context)
    {
        var md = new StringBuilder("# Mosaic evaluation\n\n");
        foreach (var (key, value) in context)
            md.Append(CultureInfo.InvariantCulture, $"- {key}: `{value}`\n");
        md.Append("\nErrors are of the camera pose against the ground truth; a frame without a pose counts as infinitely wrong.\n\n");
        md.Append(MetricsTable(summary));
        if (summary.OdometryDriftText() is { } drift)
            md.Append(CultureInfo.InvariantCulture, $"\nThe {drift}{summary.LearntOdometryDriftText()} (`localizer.odometry_drift` and `odometry_drift_max` bound what the fusion assumes; README \"Odometry quality\").\n");
        if (summary.Modes.Any(m => m.Mode == EvaluationMode.FromTruth))
            md.Append("\nThe from-truth mode refines every frame from its own true pose: no seed could do better, so a frame outside " +
                "the threshold there is lost to the map, its labels or the ground truth itself, not to seeding. The cause tables " +
                "below count such frames in their last column.\n");
        foreach (var mode in summary.Modes)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {Name(mode.Mode)} mode\n\n");
            md.Append("| stage | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|\n");
            foreach (var l in mode.Latency)
                md.Append(CultureInfo.InvariantCulture, $"| {l.Stage} | {l.P50:F0} | {l.P95:F0} | {l.Max:F0} |\n");
            md.Append(CultureInfo.InvariantCulture, $"\nRejected by the gates: {mode.Rejected}{RejectedByText(mode)}; without a pose: {mode.WithoutPose}. ");
            if (mode.NotMoved > 0)
                md.Append(CultureInfo.InvariantCulture, $"Not refined, the camera having hardly moved since the last refined frame (localizer.update_min_translation): {mode.NotMoved}. ");
            if (mode.Sharpened > 0)
                md.Append(CultureInfo.InvariantCulture, $"Finished on the sharpened map (localizer.sharp_map_max_loss): {mode.Sharpened}. ");
            if (mode.RefinedAgain > 0)
                md.Append(CultureInfo.InvariantCulture, $"Refined on the sharpened map directly, judged too loose by the full map and refined again (localizer.sharp_map_tracking): {mode.RefinedAgain}. ");
            if (mode.DepthRefined > 0)
                md.Append(CultureInfo.InvariantCulture, $"Depth-refined: {mode.DepthRefined}. ");
            md.Append("Seeds: " + string.Join(", ", mode.Seeds.Select(s => $"{s.Key} {s.Value}")) + ".\n\n");
            if (CovarianceText(mode) is { } covariance)
                md.Append(CultureInfo.InvariantCulture, $"Published covariance: {covariance}.\n\n");
            md.Append(CultureInfo.InvariantCulture, $"Frames outside {Evaluator.SuccessTranslation * 100:0} cm / {Evaluator.SuccessRotationDeg:0} deg, by cause:\n\n");
            var outside = mode.CausesOutsideFromTruth;
            md.Append(outside is null ? "| cause | frames |\n|---|---:|\n" : "| cause | frames | of which outside from the truth too |\n|---|---:|---:|\n");
            foreach (var (cause, count) in mode.Causes)
                md.Append(CultureInfo.InvariantCulture, $"| {CauseText(cause)} | {count} |{(outside is null ? "" : $" {outside[cause]} |")}\n");
        }
        md.Append("\n## Plots\n\n![trajectory](trajectory.svg)\n\n![error over time](error_over_time.svg)\n\n![error CDF](error_cdf.svg)\n");
        if (summary.OdometryDrift is not null && summary.Modes.Any(m => m.Mode == EvaluationMode.Tracking))
            md.Append("\n![odometry drift](odometry_drift.svg)\n");
        md.Append("\nPer-frame numbers: `frames.csv`. Trajectories (TUM, camera in map): `estimate_*.tum`, `baseline_*.tum`, `ground_truth.tum`.\n");
        return md.ToString();
    }

    /// <summary>The metrics table in Markdown.</summary>
    public static string MetricsTable(EvaluationSummary summary)
    {
        var md = new StringBuilder("| | frames | median cm | median deg | " + string.Join(" | ", RecallThreshold.Standard) + " | latency p50 / p95 ms |\n");
        md.Append("|---|---:|---:|---:|" + string.Concat(RecallThreshold.Standard.Select(_ => "---:|")) + "---:|\n");
        foreach (var (name, a, latency) in Rows(summary))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {name} | {a.Frames} | {Fixed(a.MedianTranslation * 100, 1)} | {Fixed(a.MedianRotationDeg, 2)} | ");
            md.Append(string.Join(" | ", a.Recalls.Select(r => $"{r * 100:F1} %")));
            md.Append(CultureInfo.InvariantCulture, $" | {latency} |\n");
        }
        return md.ToString();
    }

    /// <summary>A number with fixed decimals, or "∞".</summary>
    public static string Fixed(double v, int decimals) => double.IsFinite(v) ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : "∞";

    /// <summary>
    /// What to set when the odometry drifts more than <paramref name="assumed"/>
    /// (<see cref="Localization.LocalizerOptions.OdometryDrift"/>); null when it does not. The settings are
    /// those that tracked best on redkitchen with odometry that drifted about 10 % and about 30 % (README
    /// "Odometry quality"); <see cref="NoFusionAbove"/> lies between the two.
    /// </summary>
    public static string? OdometryAdvice(OdometryDrift drift, double assumed)
    {
        double worst = Math.Max(drift.PerMetre, double.IsNaN(drift.PerRadian) ? 0 : drift.PerRadian);
        if (worst <= assumed)
            return null;
        string settings = worst > NoFusionAbove
            ? "-p localizer.measurement_sigma:=0 (no fusion with odometry)"
            : "-p localizer.measurement_sigma:=0.02 -p localizer.measurement_sigma_deg:=0.5 -p localizer.odometry_drift:=0.1 -p localizer.odometry_drift_max:=0.1";
        return $"tracking learns such drift from its fixes, but on redkitchen odometry that drifted like this tracked better still with {settings} (README \"Odometry quality\")";
    }

    /// <summary>Odometry drifting more than this (per metre or per radian) is better not fused at all (<see cref="OdometryAdvice"/>).</summary>
    private const double NoFusionAbove = 0.2;

    /// <summary>
    /// "median sigma 2.5 cm / 0.91 deg over 41 accepted frames, 100.0 % of them within twice it" (<see cref="ModeSummary.Covariance"/>);
    /// null when no frame was accepted.
    /// </summary>
    public static string? CovarianceText(ModeSummary mode) => mode.Covariance is not { } c ? null
        : string.Create(CultureInfo.InvariantCulture, $"median sigma {c.MedianPositionSigma * 100:F1} cm / {c.MedianRotationSigmaDeg:F2} deg over {c.Frames} accepted frames, {c.WithinTwoSigma * 100:F1} % of them within twice it");

    /// <summary>" (high loss 12, low coverage 3)": the rejected frames by gate, those that rejected any; empty when none did.</summary>
    public static string RejectedByText(ModeSummary mode)
    {
        var gates = mode.RejectedBy.Where(r => r.Value > 0).Select(r => $"{RejectionText(r.Key)} {r.Value}").ToList();
        return gates.Count == 0 ? "" : $" ({string.Join(", ", gates)})";
    }

    private static string RejectionText(Localization.Rejection rejection) => rejection switch
    {
        Localization.Rejection.LowCoverage => "low coverage",
        Localization.Rejection.HighLoss => "high loss",
        Localization.Rejection.LargeCorrection => "large correction",
        Localization.Rejection.NoSeed => "no seed",
        Localization.Rejection.Unconfirmed => "unconfirmed relocalisation",
        _ => rejection.ToString(),
    };

    private static string CauseText(FailureCause cause) => cause switch
    {
        FailureCause.NoPose => "no pose",
        FailureCause.Rejected => "rejected by the quality gates",
        FailureCause.RetrievalWrong => "retrieval wrong (chosen keyframe > 0.5 m or 20 deg away)",
        FailureCause.RefinementOff => "refinement off (accepted, seed fine, result outside)",
        FailureCause.NotMoved => "not refined (hardly moved since the last refined frame)",
        _ => cause.ToString(),
    };

    private static (Vector3d Origin, Vector3d U, Vector3d V) PrincipalPlane(IReadOnlyList<Vector3d> points)
    {
        var mean = points.Aggregate(Vector3d.Zero, (a, p) => a + p) * (1.0 / Math.Max(1, points.Count));
        var c = new double[3, 3];
        foreach (var p in points)
        {
            var d = p - mean;
            double[] a = [d.X, d.Y, d.Z];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    c[i, j] += a[i] * a[j];
        }
        var (_, vectors) = SymmetricEigen3.Decompose(c[0, 0], c[0, 1], c[0, 2], c[1, 1], c[1, 2], c[2, 2]);
        return (mean, vectors.Column(2), vectors.Column(1));
    }

    private static double Dot(Vector3d a, Vector3d b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
}
