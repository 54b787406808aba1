namespace Mosaic.Core.Imaging;

/// <summary>
/// Distinct display colours for labels (hues spaced by the golden angle, alternating lightness), for
/// label images and viewer exports. A palette colour says nothing about the place: it is a function
/// of the label number only.
/// </summary>
public static class LabelPalette
{
    /// <summary>The display colour of <paramref name="label"/>; black for <see cref="Labels.Ignore"/>.</summary>
    public static (byte R, byte G, byte B) Color(int label)
    {
        if (label == Labels.Ignore)
            return (0, 0, 0);
        double hue = label * 137.50776405 % 360;
        double value = label % 2 == 0 ? 0.95 : 0.7, saturation = label % 3 == 0 ? 0.55 : 0.85;
        double c = value * saturation, x = c * (1 - Math.Abs(hue / 60 % 2 - 1)), m = value - c;
        var (r, g, b) = (int)(hue / 60) switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return ((byte)Math.Round((r + m) * 255), (byte)Math.Round((g + m) * 255), (byte)Math.Round((b + m) * 255));
    }

    /// <summary>A label image as interleaved RGB bytes.</summary>
    public static byte[] Colorize(Image<ushort> labels)
    {
        var rgb = new byte[3 * labels.Data.Length];
        for (int p = 0; p < labels.Data.Length; p++)
        {
            var (r, g, b) = Color(labels.Data[p]);
            (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = (r, g, b);
        }
        return rgb;
    }
}
