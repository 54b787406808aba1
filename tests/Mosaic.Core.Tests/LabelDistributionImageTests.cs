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

    [Fact]
    public void Labels_out_of_range_are_rejected_with_the_pixel()
    {
        var e = Assert.Throws<ArgumentException>(() => LabelDistributionImage.FromLabels(new Image<ushort>(2, 2, [0, 0, 0, 9]), 4));
        Assert.Contains("(1, 1)", e.Message);
    }
}
