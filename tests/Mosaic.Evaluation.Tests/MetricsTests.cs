namespace Mosaic.Evaluation.Tests;

public class MetricsTests
{
    [Fact]
    public void Median_counts_frames_without_a_pose_as_infinitely_wrong()
    {
        var summary = AccuracySummary.Of([(0.01, 1), (0.03, 3), (double.PositiveInfinity, double.PositiveInfinity)]);

        Assert.Equal(0.03, summary.MedianTranslation);
        Assert.Equal(3, summary.MedianRotationDeg);
        Assert.Equal(3, summary.Frames);
    }

    [Fact]
    public void Recall_needs_both_limits()
    {
        // 1 cm / 3 deg passes 5cm/5deg but not 2cm/2deg; 20 cm / 1 deg passes 25cm/2deg only from there up.
        var summary = AccuracySummary.Of([(0.01, 3), (0.20, 1), (0.015, 0.5), (0.6, 0.1)]);

        Assert.Equal([0.25, 0.5, 0.5, 0.5, 0.75], summary.Recalls);
    }

    [Fact]
    public void Latency_percentiles_are_nearest_rank()
    {
        var latency = LatencySummary.Of("refine", Enumerable.Range(1, 100).Select(i => (double)i));

        Assert.Equal(50, latency.P50);
        Assert.Equal(95, latency.P95);
        Assert.Equal(100, latency.Max);
    }

    [Fact]
    public void Even_counts_take_the_mean_of_the_middle_two()
    {
        Assert.Equal(2.5, AccuracySummary.Median([4, 1, 3, 2]));
        Assert.True(double.IsNaN(AccuracySummary.Median([])));
    }
}
