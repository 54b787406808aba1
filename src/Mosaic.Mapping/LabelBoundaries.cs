using Mosaic.Core.Imaging;

namespace Mosaic.Mapping;

/// <summary>How far each pixel of a label image lies from the nearest place where the label changes.</summary>
public static class LabelBoundaries
{
    /// <summary>
    /// Chessboard distance (px) to the nearest label change: 1 for a labelled pixel with an 8-neighbour of
    /// another label (<see cref="Labels.Ignore"/> neighbours do not count), one more per pixel further
    /// in; <see cref="int.MaxValue"/> where the image holds no label change, and for ignored pixels.
    /// </summary>
    public static int[] Distance(Image<ushort> labels)
    {
        int w = labels.Width, h = labels.Height;
        var distance = new int[w * h];
        Array.Fill(distance, int.MaxValue);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (labels.Data[y * w + x] != Labels.Ignore && ChangesNextTo(labels, x, y))
                    distance[y * w + x] = 1;
        // Two raster passes with unit steps to all 8 neighbours give the exact chessboard distance.
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                ref int d = ref distance[y * w + x];
                d = Math.Min(d, Step(distance, w, h, x - 1, y));
                d = Math.Min(d, Step(distance, w, h, x - 1, y - 1));
                d = Math.Min(d, Step(distance, w, h, x, y - 1));
                d = Math.Min(d, Step(distance, w, h, x + 1, y - 1));
            }
        for (int y = h - 1; y >= 0; y--)
            for (int x = w - 1; x >= 0; x--)
            {
                ref int d = ref distance[y * w + x];
                d = Math.Min(d, Step(distance, w, h, x + 1, y));
                d = Math.Min(d, Step(distance, w, h, x + 1, y + 1));
                d = Math.Min(d, Step(distance, w, h, x, y + 1));
                d = Math.Min(d, Step(distance, w, h, x - 1, y + 1));
            }
        for (int p = 0; p < distance.Length; p++)
            if (labels.Data[p] == Labels.Ignore)
                distance[p] = int.MaxValue;
        return distance;
    }

    private static bool ChangesNextTo(Image<ushort> labels, int x, int y)
    {
        ushort own = labels.Data[y * labels.Width + x];
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                int xx = x + dx, yy = y + dy;
                if (xx < 0 || yy < 0 || xx >= labels.Width || yy >= labels.Height)
                    continue;
                ushort other = labels.Data[yy * labels.Width + xx];
                if (other != Labels.Ignore && other != own)
                    return true;
            }
        return false;
    }

    /// <summary>The distance one step beyond neighbour (x, y), or int.MaxValue outside the image or where it is unknown.</summary>
    private static int Step(int[] distance, int w, int h, int x, int y)
    {
        if (x < 0 || y < 0 || x >= w || y >= h)
            return int.MaxValue;
        int d = distance[y * w + x];
        return d == int.MaxValue ? int.MaxValue : d + 1;
    }
}
