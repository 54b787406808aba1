using System.Globalization;
using System.Net;
using System.Text;

namespace Mosaic.Evaluation;

/// <summary>
/// A small SVG chart: axes with ticks, line and point series, a legend. Enough for evaluation plots
/// that open in any browser or Markdown viewer, with no plotting library.
/// </summary>
public sealed class SvgChart
{
    private readonly List<(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Line)> _series = [];

    /// <summary>Chart title.</summary>
    public required string Title { get; init; }

    /// <summary>X axis label.</summary>
    public required string XLabel { get; init; }

    /// <summary>Y axis label.</summary>
    public required string YLabel { get; init; }

    /// <summary>Logarithmic x axis (values ≤ 0 are not drawn).</summary>
    public bool LogX { get; init; }

    /// <summary>Same scale on both axes (for trajectories).</summary>
    public bool EqualAspect { get; init; }

    /// <summary>Fixed y range; null = from the data.</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Adds a polyline (non-finite points break the line).</summary>
    public SvgChart Line(string name, string color, IReadOnlyList<(double X, double Y)> points)
    {
        _series.Add((name, color, points, true));
        return this;
    }

    /// <summary>Adds points.</summary>
    public SvgChart Points(string name, string color, IReadOnlyList<(double X, double Y)> points)
    {
        _series.Add((name, color, points, false));
        return this;
    }

    private const int Width = 720, Height = 440, Left = 70, Right = 20, Top = 40, Bottom = 55;

    /// <summary>The chart as an SVG document.</summary>
    public string ToSvg()
    {
        double Tx(double x) => LogX ? Math.Log10(x) : x;
        var all = _series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0)).ToList();
        double x0 = all.Count > 0 ? all.Min(p => Tx(p.X)) : 0, x1 = all.Count > 0 ? all.Max(p => Tx(p.X)) : 1;
        double y0 = YRange?.Min ?? (all.Count > 0 ? all.Min(p => p.Y) : 0), y1 = YRange?.Max ?? (all.Count > 0 ? all.Max(p => p.Y) : 1);
        if (x1 - x0 < 1e-9) (x0, x1) = (x0 - 0.5, x1 + 0.5);
        if (y1 - y0 < 1e-9) (y0, y1) = (y0 - 0.5, y1 + 0.5);
        if (YRange is null)
        {
            double pad = 0.05 * (y1 - y0);
            (y0, y1) = (y0 - pad, y1 + pad);
        }
        if (!LogX)
        {
            double pad = 0.03 * (x1 - x0);
            (x0, x1) = (x0 - pad, x1 + pad);
        }
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        if (EqualAspect)
        {
            double scale = Math.Max((x1 - x0) / plotW, (y1 - y0) / plotH);
            double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
            (x0, x1) = (cx - scale * plotW / 2, cx + scale * plotW / 2);
            (y0, y1) = (cy - scale * plotH / 2, cy + scale * plotH / 2);
        }
        double Px(double x) => Left + (Tx(x) - x0) / (x1 - x0) * plotW;
        double Py(double y) => Top + (1 - (y - y0) / (y1 - y0)) * plotH;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(Title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#444\"/>\n");
        foreach (double t in Ticks(x0, x1, LogX))
        {
            double px = Left + (t - x0) / (x1 - x0) * plotW;
            string label = LogX ? Format(Math.Pow(10, t)) : Format(t);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:F1}\" y1=\"{Top}\" x2=\"{px:F1}\" y2=\"{Top + plotH}\" stroke=\"#ddd\"/><text x=\"{px:F1}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{label}</text>\n");
        }
        foreach (double t in Ticks(y0, y1, false))
        {
            double py = Py(t);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{py:F1}\" x2=\"{Left + plotW}\" y2=\"{py:F1}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{Format(t)}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotW / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">{Escape(XLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(16 {Top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(YLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<clipPath id=\"plot\"><rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n");
        foreach (var (_, color, points, line) in _series)
        {
            bool Drawable((double X, double Y) p) => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0);
            if (line)
            {
                var run = new List<string>();
                void Flush()
                {
                    if (run.Count > 1)
                        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{string.Join(' ', run)}\"/>\n");
                    run.Clear();
                }
                foreach (var p in points)
                {
                    if (Drawable(p))
                        run.Add(string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):F1},{Py(p.Y):F1}"));
                    else
                        Flush();
                }
                Flush();
            }
            else
            {
                foreach (var p in points.Where(Drawable))
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(p.X):F1}\" cy=\"{Py(p.Y):F1}\" r=\"2.2\" fill=\"{color}\"/>\n");
            }
        }
        svg.Append("</g>\n");
        for (int i = 0; i < _series.Count; i++)
        {
            double ly = Top + 14 + 16 * i;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + 10}\" y=\"{ly - 9}\" width=\"12\" height=\"10\" fill=\"{_series[i].Color}\"/><text x=\"{Left + 28}\" y=\"{ly}\">{Escape(_series[i].Name)}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static IEnumerable<double> Ticks(double min, double max, bool log)
    {
        if (log)
        {
            for (double t = Math.Ceiling(min); t <= max + 1e-9; t++)
                yield return t;
            yield break;
        }
        double raw = (max - min) / 6;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = Math.Ceiling(min / step) * step; t <= max + 1e-9 * step; t += step)
            yield return Math.Abs(t) < 1e-12 * step ? 0 : t;
    }

    private static string Format(double v) => v.ToString(Math.Abs(v) >= 100 || v == Math.Round(v) ? "0" : "0.###", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
