using Mosaic.Localization.Segmentation;

namespace Mosaic.Localization.Tests;

public class PixelFeaturesTests
{
    [Theory]
    [InlineData(17, 11, 3)]
    [InlineData(5, 9, 8)] // window wider than the image
    [InlineData(1, 1, 2)]
    public void The_box_filter_is_the_mean_over_the_clipped_window(int w, int h, int radius)
    {
        var random = new Random(w * 100 + h);
        var image = Enumerable.Range(0, w * h).Select(_ => (float)random.NextDouble()).ToArray();
        var filtered = (float[])image.Clone();
        PixelFeatures.BoxFilter(filtered, w, h, radius);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double sum = 0;
                int count = 0;
                for (int v = Math.Max(0, y - radius); v <= Math.Min(h - 1, y + radius); v++)
                    for (int u = Math.Max(0, x - radius); u <= Math.Min(w - 1, x + radius); u++, count++)
                        sum += image[v * w + u];
                Assert.Equal(sum / count, filtered[y * w + x], 5);
            }
        }
    }

    [Theory]
    [InlineData(37, 3)]
    [InlineData(5, 8)] // window wider than the row
    [InlineData(1, 2)]
    public void Four_rows_filtered_at_once_give_each_rows_means_to_the_bit(int n, int radius)
    {
        var random = new Random(n * 10 + radius);
        // Values of very different magnitudes, so that a different order of additions would show in the last bits.
        var rows = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * Math.Pow(10, random.Next(-6, 4)))).ToArray()).ToArray();
        var together = Enumerable.Range(0, 4).Select(_ => new float[n]).ToArray();
        PixelFeatures.BoxRows(rows[0], rows[1], rows[2], rows[3], together[0], together[1], together[2], together[3], radius);
        for (int r = 0; r < 4; r++)
        {
            var alone = new float[n];
            PixelFeatures.BoxRow(rows[r], alone, radius);
            Assert.Equal(alone, together[r]);
        }
    }
}
