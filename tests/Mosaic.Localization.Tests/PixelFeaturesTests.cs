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
}
