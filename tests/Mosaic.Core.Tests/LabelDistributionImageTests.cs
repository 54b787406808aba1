using Mosaic.Core.Imaging;

namespace Mosaic.Core.Tests;

public class LabelDistributionImageTests
{
    [Fact]
    public void Full_resolution_labels_are_one_hot_and_ignored_pixels_are_empty()
    {
        var labels = new Image<ushort>(3, 1, [2, Labels.Ignore, 0]);
        var h = LabelDistributionImage.FromLabels(labels, 3);
        Assert.Equal(2, h.ValidPixelCount);
        Assert.Equal([(ushort)2], h.LabelsAt(0).ToArray());
        Assert.Equal([1f], h.WeightsAt(0).ToArray());
        Assert.Equal(0, h.LabelsAt(1).Length);
    }

    [Fact]
    public void Coarse_levels_are_block_histograms_and_sparse_blocks_are_ignored()
    {
        var labels = new Image<ushort>(4, 2,
        [
            1, 1, 0, Labels.Ignore,
            1, 3, Labels.Ignore, Labels.Ignore,
        ]);
        var h = LabelDistributionImage.FromLabels(labels, 4).Downsample(2);
        Assert.Equal((2, 1), (h.Width, h.Height));
        Assert.Equal([(ushort)1, (ushort)3], h.LabelsAt(0).ToArray());
        Assert.Equal([0.75f, 0.25f], h.WeightsAt(0).ToArray());
        Assert.Equal(0, h.LabelsAt(1).Length); // one labelled pixel of four is below half
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Downsampling_matches_block_histograms_counted_the_slow_way(int factor)
    {
        // A 2x2 downsample of a random one-hot image (so that the input carries weighted histograms
        // too), with sizes that leave partial blocks at the right and bottom edges.
        var rng = new Random(factor);
        var pixels = new ushort[29 * 17];
        for (int p = 0; p < pixels.Length; p++)
            pixels[p] = rng.NextDouble() < 0.15 ? Labels.Ignore : (ushort)rng.Next(6);
        var input = LabelDistributionImage.FromLabels(new Image<ushort>(29, 17, pixels), 6).Downsample(2, minValidFraction: 0.25);
        var output = input.Downsample(factor);

        Assert.Equal((input.Width / factor, input.Height / factor), (output.Width, output.Height));
        for (int by = 0; by < output.Height; by++)
        {
            for (int bx = 0; bx < output.Width; bx++)
            {
                var histogram = new SortedDictionary<ushort, double>();
                for (int y = by * factor; y < (by + 1) * factor; y++)
                {
                    for (int x = bx * factor; x < (bx + 1) * factor; x++)
                    {
                        var labels = input.LabelsAt(y * input.Width + x);
                        var weights = input.WeightsAt(y * input.Width + x);
                        for (int i = 0; i < labels.Length; i++)
                            histogram[labels[i]] = histogram.GetValueOrDefault(labels[i]) + weights[i];
                    }
                }
                double mass = histogram.Values.Sum();
                int block = by * output.Width + bx;
                if (mass < 0.5 * factor * factor)
                {
                    Assert.Equal(0, output.LabelsAt(block).Length);
                    continue;
                }
                Assert.Equal(histogram.Keys, output.LabelsAt(block).ToArray());
                Assert.Equal(histogram.Values.Select(w => w / mass), output.WeightsAt(block).ToArray().Select(w => (double)w), (a, b) => Math.Abs(a - b) < 1e-6);
            }
        }
    }

    [Fact]
    public void The_compressed_rows_are_the_per_pixel_lists_end_to_end()
    {
        var h = LabelDistributionImage.FromLabels(new Image<ushort>(4, 2, [1, 1, 0, 2, 1, 3, Labels.Ignore, 2]), 4).Downsample(2);
        Assert.Equal(h.Width * h.Height + 1, h.Offsets.Length);
        for (int p = 0; p < h.Width * h.Height; p++)
        {
            Assert.Equal(h.LabelsAt(p).ToArray(), h.AllLabels[h.Offsets[p]..h.Offsets[p + 1]].ToArray());
            Assert.Equal(h.WeightsAt(p).ToArray(), h.AllWeights[h.Offsets[p]..h.Offsets[p + 1]].ToArray());
        }
        Assert.Equal(h.Offsets[^1], h.AllLabels.Length);
    }

    [Fact]
    public void Labels_out_of_range_are_rejected_with_the_pixel()
    {
        var e = Assert.Throws<ArgumentException>(() => LabelDistributionImage.FromLabels(new Image<ushort>(2, 2, [0, 0, 0, 9]), 4));
        Assert.Contains("(1, 1)", e.Message);
    }
}
