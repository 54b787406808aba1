using Mosaic.Core.Imaging;

namespace Mosaic.Mapping.Tests;

/// <summary>Distances to label changes (<see cref="LabelBoundaries"/>) and agreement by that distance.</summary>
public class LabelBoundariesTests
{
    private const ushort I = Labels.Ignore;

    [Fact]
    public void Distance_counts_pixels_to_the_nearest_label_change_in_chessboard_steps()
    {
        // Label 0 left of column 4, label 1 from it on; one ignored pixel in the last column.
        var labels = new Image<ushort>(8, 3);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 8; x++)
                labels.Data[y * 8 + x] = (ushort)(x < 4 ? 0 : 1);
        labels.Data[7] = I;

        var distance = LabelBoundaries.Distance(labels);

        Assert.Equal([4, 3, 2, 1, 1, 2, 3, int.MaxValue], distance[..8]);
        Assert.Equal([4, 3, 2, 1, 1, 2, 3, 4], distance[16..]);
    }

    [Fact]
    public void Ignored_pixels_are_no_label_change_and_an_image_of_one_label_has_none()
    {
        var one = new Image<ushort>(3, 2, [2, 2, I, 2, 2, 2]);
        Assert.All(LabelBoundaries.Distance(one), d => Assert.Equal(int.MaxValue, d));
    }

    [Fact]
    public void Agreement_is_tallied_by_the_distance_of_each_compared_pixel_to_the_render_s_label_change()
    {
        var rendered = new Image<ushort>(6, 1, [0, 0, 0, 1, 1, 1]); // distances 3 2 1 1 2 3
        var query = new Image<ushort>(6, 1, [0, 0, 1, 0, 1, I]);    // the last pixel is not compared
        var tally = new LabelAgreement(2);

        tally.Add(query, rendered);
        var byDistance = tally.Result().ByBoundaryDistance;

        Assert.Equal(LabelAgreement.BoundaryRanges.Count, byDistance.Count);
        Assert.Equal(new BoundaryAgreement(1, 1, Share: 2 / 5.0, Agreement: 0), byDistance[0]);
        Assert.Equal(new BoundaryAgreement(2, 2, Share: 2 / 5.0, Agreement: 1), byDistance[1]);
        Assert.Equal(new BoundaryAgreement(3, 4, Share: 1 / 5.0, Agreement: 1), byDistance[2]);
        Assert.True(double.IsNaN(byDistance[3].Agreement) && byDistance[3].Share == 0);
    }
}
