using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Mapping.Segmentation;

namespace Mosaic.Mapping.Tests;

public class SinkhornTests
{
    private static double[] RandomScores(int n, int k, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n * k).Select(_ => 3 * random.NextDouble()).ToArray();
    }

    [Fact]
    public void Assignments_are_distributions_whose_label_totals_are_equal()
    {
        const int n = 200, k = 7;
        var weights = Enumerable.Range(0, n).Select(i => 1.0 + i % 5).ToArray();
        var q = Sinkhorn.Assign(RandomScores(n, k, 1), weights, k, epsilon: 0.5, iterations: 200);
        for (int i = 0; i < n; i++)
            Assert.Equal(1, q.AsSpan(i * k, k).ToArray().Sum(), 9);
        double total = weights.Sum();
        for (int c = 0; c < k; c++)
        {
            double column = Enumerable.Range(0, n).Sum(i => weights[i] * q[i * k + c]);
            Assert.Equal(total / k, column, 6);
        }
    }

    [Fact]
    public void Scores_that_all_prefer_one_label_are_spread_over_every_label()
    {
        // Collapse: every item slightly prefers label 0. Balancing must still use all labels.
        const int n = 120, k = 4;
        var random = new Random(3);
        var scores = new double[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
                scores[i * k + c] = (c == 0 ? 1 : 0) + 0.2 * random.NextDouble();
        var q = Sinkhorn.Assign(scores, Enumerable.Repeat(1.0, n).ToArray(), k, epsilon: 0.05, iterations: 50);
        var argmax = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, k).MaxBy(c => q[i * k + c])).ToArray();
        Assert.Equal(k, argmax.Distinct().Count());
        Assert.All(Enumerable.Range(0, k), c => Assert.InRange(argmax.Count(a => a == c), n / k / 2, 2 * n / k));
    }

    [Fact]
    public void Balanced_confident_scores_keep_their_labels()
    {
        const int n = 40, k = 4;
        var scores = new double[n * k];
        for (int i = 0; i < n; i++)
            scores[i * k + i % k] = 5;
        var q = Sinkhorn.Assign(scores, Enumerable.Repeat(1.0, n).ToArray(), k, epsilon: 0.1, iterations: 3);
        for (int i = 0; i < n; i++)
            Assert.True(q[i * k + i % k] > 0.99);
    }

    [Fact]
    public void Mismatched_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Sinkhorn.Assign(new double[10], new double[3], 4, 0.1, 3));
        Assert.Throws<ArgumentException>(() => Sinkhorn.Assign(new double[12], new double[3], 4, 0, 3));
    }
}

public class AdamTests
{
    [Fact]
    public void The_first_step_moves_each_parameter_by_the_learning_rate_against_its_gradient()
    {
        var adam = new Adam(3, 0.01);
        double[] x = [1, 2, 3];
        adam.Step(x, [0.5, -200, 1e-3]);
        Assert.Equal(1 - 0.01, x[0], 9);
        Assert.Equal(2 + 0.01, x[1], 9);
        Assert.Equal(3 - 0.01, x[2], 6); // bias correction makes the first step size-free
    }

    [Fact]
    public void It_minimises_a_badly_scaled_quadratic()
    {
        // f = ½ Σ a_i (x_i − c_i)², curvatures 10⁻² … 10².
        double[] a = [0.01, 1, 100], c = [3, -2, 0.5];
        var x = new double[3];
        var adam = new Adam(3, 0.05);
        for (int step = 0; step < 3000; step++)
            adam.Step(x, Enumerable.Range(0, 3).Select(i => a[i] * (x[i] - c[i])).ToArray());
        for (int i = 0; i < 3; i++)
            Assert.Equal(c[i], x[i], 1);
    }
}

public class SegmenterTrainerTests
{
    private static readonly byte[] WallTexture = RandomBytes(64 * 48 * 3);

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(1).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Views of one randomly textured wall 1.5 m ahead, from cameras at <paramref name="xs"/> (m) along it.</summary>
    private static void AddWallViews(SegmenterTrainer trainer, params double[] xs)
    {
        var camera = new CameraModel(new PinholeCamera(64, 48, 50, 50, 32, 24), DistortionModel.None);
        var depth = new Image<float>(64, 48);
        Array.Fill(depth.Data, 1.5f);
        foreach (double x in xs)
            trainer.AddView(new RgbdFrame(0, new RgbImage(64, 48, WallTexture), camera, depth, camera, new Se3(So3.Identity, new Vector3d(x, 0, 0)), Se3.Identity));
    }

    [Fact]
    public void Keyframes_that_share_no_surface_cannot_train_and_the_error_says_why()
    {
        var trainer = new SegmenterTrainer(new LearnedSegmenterOptions { LabelCount = 8 });
        AddWallViews(trainer, 0, 5); // five metres apart: no voxel is seen twice
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Train());
        Assert.Contains("seen from two or more keyframes", e.Message);
    }

    [Fact]
    public void A_segmenter_trained_with_context_taps_reads_them_at_query_time()
    {
        var options = new LearnedSegmenterOptions { LabelCount = 4, Level = 0, PixelStride = 1, ContextTaps = [4], Rounds = 2, StepsPerRound = 5, BatchSize = 64 };
        var trainer = new SegmenterTrainer(options);
        AddWallViews(trainer, 0, 0.02); // 2 cm apart: most voxels are seen by both

        var (segmenter, _) = trainer.Train();

        Assert.Equal([4], segmenter.ContextTaps);
        Assert.Equal(5 * 14, segmenter.FeatureCount);
        var labels = segmenter.Segment(new RgbImage(64, 48, WallTexture));
        Assert.All(labels.Data, l => Assert.True(l < 4));
        Assert.Contains("context_taps: [4]", segmenter.Definition());
    }

    [Theory]
    [InlineData("label_count", 1)]
    [InlineData("pixel_stride", 0)]
    [InlineData("output_smoothing", 17)]
    public void Out_of_range_settings_are_named(string name, int value)
    {
        var options = name switch
        {
            "label_count" => new LearnedSegmenterOptions { LabelCount = value },
            "pixel_stride" => new LearnedSegmenterOptions { PixelStride = value },
            _ => new LearnedSegmenterOptions { OutputSmoothing = value },
        };
        var e = Assert.Throws<ArgumentException>(() => new SegmenterTrainer(options));
        Assert.Contains("segmenter." + name, e.Message);
    }
}
