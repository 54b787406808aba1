using Mosaic.Core.Geometry;

namespace Mosaic.Localization.Tests;

public class OdometryFusionTests
{
    private const double Sigma = 0.05, SigmaRad = 1.5 * Math.PI / 180;

    [Theory]
    [InlineData(0.05, 0.8, new[] { 0.05, 0.1, 0.2, 0.4, 0.8 })]
    [InlineData(0.05, 0.3, new[] { 0.05, 0.1, 0.2, 0.3 })]
    [InlineData(0.05, 0.05, new[] { 0.05 })]
    [InlineData(0.0, 0.8, new[] { 0.0 })]
    public void The_candidate_drifts_double_from_the_assumed_one_up_to_the_maximum(double drift, double max, double[] expected)
    {
        var drifts = new OdometryFusion(drift, max).Drifts;

        Assert.Equal(expected.Length, drifts.Count);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], drifts[i], 12);
    }

    [Theory]
    [InlineData(-0.05, 0.8)]
    [InlineData(0.05, double.PositiveInfinity)]
    [InlineData(0.05, double.NaN)]
    public void A_negative_drift_or_a_maximum_that_is_not_a_finite_number_is_refused(double drift, double max) =>
        Assert.Throws<ArgumentException>(() => new OdometryFusion(drift, max));

    [Fact]
    public void One_candidate_is_a_per_axis_Kalman_update_of_the_odometry_prediction()
    {
        var fusion = new OdometryFusion(0.05, 0.05);
        var start = Se3.Exp(new Tangent(new Vector3d(1, 2, 0.5), new Vector3d(0.1, -0.2, 0.3)));
        fusion.Start(start, Sigma, SigmaRad);
        var increment = Se3.Exp(new Tangent(new Vector3d(0.1, 0, 0), new Vector3d(0, 0, 0.2)));
        fusion.Predict(increment);
        var prediction = start * increment;
        var correction = new Tangent(new Vector3d(0.02, -0.01, 0.005), new Vector3d(0.01, 0, -0.005));

        var fused = fusion.Update(prediction * Se3.Exp(correction), Sigma, SigmaRad);

        // The prediction's variance is the measurement's plus (drift × distance)², (drift × angle)².
        double priorT = Sigma * Sigma + Math.Pow(0.05 * increment.Translation.Norm, 2);
        double priorR = SigmaRad * SigmaRad + Math.Pow(0.05 * increment.Rotation.Angle, 2);
        var expected = prediction * Se3.Exp(new Tangent(priorT / (priorT + Sigma * Sigma) * correction.Translation, priorR / (priorR + SigmaRad * SigmaRad) * correction.Rotation));
        var (dt, dr) = Se3.Distance(expected, fused);
        Assert.True(dt < 1e-12 && dr < 1e-12, $"{dt} m, {dr} rad from the Kalman update");
        Assert.Equal(0.05, fusion.Drift);
        // The fused pose's variance is the posterior's.
        Assert.Equal(priorT * Sigma * Sigma / (priorT + Sigma * Sigma), fusion.Variance.Translation, 15);
        Assert.Equal(priorR * SigmaRad * SigmaRad / (priorR + SigmaRad * SigmaRad), fusion.Variance.Rotation, 15);
    }

    [Fact]
    public void Odometry_as_good_as_assumed_keeps_the_assumed_drift_and_its_poses()
    {
        var (adaptive, single) = (new OdometryFusion(0.05, 0.8), new OdometryFusion(0.05, 0.05));

        var (adaptiveErrors, singleErrors, drifts) = Drive(adaptive, single, bias: 0.01, seed: 3);

        Assert.All(drifts, d => Assert.Equal(0.05, d));
        Assert.Equal(singleErrors, adaptiveErrors);
    }

    [Fact]
    public void Odometry_that_drifts_more_than_assumed_is_learnt_and_trusted_less()
    {
        var (adaptive, single) = (new OdometryFusion(0.05, 0.8), new OdometryFusion(0.05, 0.05));

        var (adaptiveErrors, singleErrors, drifts) = Drive(adaptive, single, bias: 0.2, seed: 3);

        Assert.True(drifts[^1] >= 0.2, $"learnt {drifts[^1]}");
        double late = adaptiveErrors.Skip(50).Average(), lateSingle = singleErrors.Skip(50).Average();
        Assert.True(late < 0.5 * lateSingle, $"mean error {late * 100:F1} cm, assuming 5 % {lateSingle * 100:F1} cm");
    }

    [Fact]
    public void A_share_of_the_correlation_time_divides_the_drift_variance_and_the_measurement_variance_by_it()
    {
        var fusion = new OdometryFusion(0.05, 0.05);
        fusion.Start(Se3.Identity, Sigma, SigmaRad);
        var increment = Se3.Exp(new Tangent(new Vector3d(0.03, 0, 0.01), new Vector3d(0, 0.02, 0)));
        var correction = new Tangent(new Vector3d(0.02, -0.01, 0.005), new Vector3d(0.01, 0, -0.005));

        fusion.Predict(increment, share: 0.25);
        fusion.Update(increment * Se3.Exp(correction), Sigma, SigmaRad, share: 0.25);

        double priorT = Sigma * Sigma + Math.Pow(0.05 * increment.Translation.Norm, 2) / 0.25, measuredT = Sigma * Sigma / 0.25;
        double priorR = SigmaRad * SigmaRad + Math.Pow(0.05 * increment.Rotation.Angle, 2) / 0.25, measuredR = SigmaRad * SigmaRad / 0.25;
        Assert.Equal(priorT * measuredT / (priorT + measuredT), fusion.Variance.Translation, 15);
        Assert.Equal(priorR * measuredR / (priorR + measuredR), fusion.Variance.Rotation, 15);
        var expected = increment * Se3.Exp(new Tangent(priorT / (priorT + measuredT) * correction.Translation, priorR / (priorR + measuredR) * correction.Rotation));
        var (dt, dr) = Se3.Distance(expected, fusion.Pose!.Value);
        Assert.True(dt < 1e-12 && dr < 1e-12, $"{dt} m, {dr} rad from the Kalman update");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_share_outside_zero_to_one_is_refused(double share)
    {
        var fusion = new OdometryFusion(0.05, 0.8);
        fusion.Start(Se3.Identity, Sigma, SigmaRad);

        Assert.Throws<ArgumentOutOfRangeException>(() => fusion.Predict(Se3.Identity, share));
        Assert.Throws<ArgumentOutOfRangeException>(() => fusion.Update(Se3.Identity, Sigma, SigmaRad, share));
    }

    [Fact]
    public void A_camera_three_times_as_fast_leaves_the_fusion_as_sure_as_before()
    {
        // The same 4 m walk, fixed every 4 cm (each fix a whole measurement) or every 4/3 cm (a third each).
        var (slow, fast) = (new OdometryFusion(0.05, 0.05), new OdometryFusion(0.05, 0.05));
        slow.Start(Se3.Identity, Sigma, SigmaRad);
        fast.Start(Se3.Identity, Sigma, SigmaRad);
        var step = new Tangent(new Vector3d(0, 0, 0.04), new Vector3d(0, 1 * Math.PI / 180, 0));
        var third = Se3.Exp(new Tangent(step.Translation / 3, step.Rotation / 3));
        for (int frame = 0; frame < 100; frame++)
        {
            slow.Predict(Se3.Exp(step));
            slow.Update(slow.Pose!.Value, Sigma, SigmaRad);
            for (int i = 0; i < 3; i++)
            {
                fast.Predict(third, share: 1.0 / 3);
                fast.Update(fast.Pose!.Value, Sigma, SigmaRad, share: 1.0 / 3);
            }
        }

        Assert.InRange(fast.Variance.Translation / slow.Variance.Translation, 0.95, 1.05);
        Assert.InRange(fast.Variance.Rotation / slow.Variance.Rotation, 0.95, 1.05);
    }

    [Fact]
    public void A_zero_sigma_takes_the_measurement_as_is()
    {
        var fusion = new OdometryFusion(0.05, 0.8);
        fusion.Start(Se3.Identity, Sigma, SigmaRad);
        fusion.Predict(Se3.Exp(new Tangent(new Vector3d(0.1, 0, 0), Vector3d.Zero)));
        var measured = Se3.Exp(new Tangent(new Vector3d(0.2, 0.1, 0), new Vector3d(0, 0.1, 0)));

        Assert.Equal(measured, fusion.Update(measured, 0, SigmaRad));
        Assert.Equal(measured, fusion.Pose);
    }

    [Fact]
    public void Starting_again_keeps_the_learnt_drift_and_a_reset_forgets_it()
    {
        var fusion = new OdometryFusion(0.05, 0.8);
        Drive(fusion, new OdometryFusion(0.05, 0.05), bias: 0.2, seed: 3);
        double learnt = fusion.Drift;

        fusion.Start(Se3.Identity, Sigma, SigmaRad);
        Assert.Equal(learnt, fusion.Drift);
        Assert.Equal(Se3.Identity, fusion.Pose);

        fusion.Reset();
        Assert.Equal(0.05, fusion.Drift);
        Assert.Null(fusion.Pose);
        Assert.Throws<InvalidOperationException>(() => fusion.Predict(Se3.Identity));
    }

    /// <summary>
    /// 100 frames of a camera walking 4 cm and turning 1 deg per frame, with odometry whose every
    /// increment is off by <paramref name="bias"/> of its length along one fixed body direction and of
    /// its angle about one axis (as the 7-Scenes importer's synthetic odometry), and a measured pose per
    /// frame 1 cm / 0.3 deg from the truth (seeded). Returns each fusion's error per frame and the first
    /// one's drift per frame.
    /// </summary>
    private static (List<double> First, List<double> Second, List<double> Drifts) Drive(OdometryFusion first, OdometryFusion second, double bias, int seed)
    {
        var random = new Random(seed);
        double Noise(double sigma) => sigma * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var step = Se3.Exp(new Tangent(new Vector3d(0, 0, 0.04), new Vector3d(0, 1 * Math.PI / 180, 0)));
        var odometryStep = step * Se3.Exp(new Tangent(bias * 0.04 * new Vector3d(0.6, 0, 0.8), bias * step.Rotation.Angle * new Vector3d(0, 0, 1)));
        var truth = Se3.Identity;
        foreach (var fusion in (OdometryFusion[])[first, second])
            fusion.Start(truth, Sigma, SigmaRad);
        var (errorsFirst, errorsSecond, drifts) = (new List<double>(), new List<double>(), new List<double>());
        for (int frame = 0; frame < 100; frame++)
        {
            truth *= step;
            var measured = truth * Se3.Exp(new Tangent(new Vector3d(Noise(0.01), Noise(0.01), Noise(0.01)), new Vector3d(Noise(0.005), Noise(0.005), Noise(0.005))));
            foreach (var fusion in (OdometryFusion[])[first, second])
            {
                fusion.Predict(odometryStep);
                fusion.Update(measured, Sigma, SigmaRad);
            }
            errorsFirst.Add(Se3.Distance(first.Pose!.Value, truth).Translation);
            errorsSecond.Add(Se3.Distance(second.Pose!.Value, truth).Translation);
            drifts.Add(first.Drift);
        }
        return (errorsFirst, errorsSecond, drifts);
    }
}
