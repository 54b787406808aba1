using Mosaic.Core.Geometry;

namespace Mosaic.Localization;

/// <summary>
/// Fuses odometry predictions with measured poses while tracking, and learns how far the odometry
/// drifts. Each candidate drift d (from the assumed one up to a maximum, doubling) runs its own
/// per-axis Kalman filter: the prediction's variance grows by (d × distance)² and (d × angle)² per
/// increment, and a measurement corrects it by the gain σ²_prediction / (σ²_prediction +
/// σ²_measurement), translation and rotation each with one scalar variance. Every filter scores how
/// likely its innovations were (Gaussian, forgetting old fixes), and the pose is the best-scoring
/// filter's: a multiple-model adaptive estimator.
/// </summary>
/// <remarks>
/// Why: a filter that assumes less drift than the odometry has trusts it too much and lags behind the
/// measurements (with 10 % drift and a 5 % assumption, 5 cm behind on redkitchen, half the frames
/// lost), while one that assumes more throws good odometry away. With good odometry the assumed drift
/// scores best nearly always, and tracking is almost as before; with bad odometry its innovations grow beyond what it predicts, and a
/// filter that assumes more takes over (README, "Odometry quality").
/// </remarks>
public sealed class OdometryFusion
{
    /// <summary>
    /// Weight of the older score after each whole fix (share 1): a filter's score is about its last ten
    /// independent fixes, long enough to see a lag build up, short enough to follow odometry that gets
    /// worse (wheels slipping).
    /// </summary>
    private const double Forgetting = 0.9;

    private readonly double[] _drifts;
    private readonly Se3[] _poses;
    private readonly double[] _translationVariance, _rotationVariance, _scores;
    private int _active;
    private bool _started;

    /// <summary>Filters for <paramref name="drift"/>, 2 × <paramref name="drift"/>, ... up to <paramref name="maxDrift"/> (one filter when it is not above <paramref name="drift"/>, or <paramref name="drift"/> is 0).</summary>
    public OdometryFusion(double drift, double maxDrift)
    {
        if (!(drift >= 0) || !double.IsFinite(drift) || !double.IsFinite(maxDrift))
            throw new ArgumentException($"odometry drift {drift} must be finite and non-negative, and the maximum {maxDrift} finite");
        var drifts = new List<double> { drift };
        while (drift > 0 && drifts[^1] < maxDrift)
            drifts.Add(Math.Min(2 * drifts[^1], maxDrift));
        _drifts = [.. drifts];
        _poses = new Se3[_drifts.Length];
        _translationVariance = new double[_drifts.Length];
        _rotationVariance = new double[_drifts.Length];
        _scores = new double[_drifts.Length];
    }

    /// <summary>The candidate drifts, metres per metre and radians per radian, the assumed one first.</summary>
    public IReadOnlyList<double> Drifts => _drifts;

    /// <summary>The drift of the filter whose pose is published: the odometry's drift as far as the fixes so far tell.</summary>
    public double Drift => _drifts[_active];

    /// <summary>The fused pose; null before <see cref="Start"/>.</summary>
    public Se3? Pose => _started ? _poses[_active] : null;

    /// <summary>The variance per axis of <see cref="Pose"/>'s translation (m²) and rotation (rad²), as its filter believes it.</summary>
    public (double Translation, double Rotation) Variance => (_translationVariance[_active], _rotationVariance[_active]);

    /// <summary>Forgets the pose and what was learnt about the odometry.</summary>
    public void Reset()
    {
        _started = false;
        _active = 0;
        Array.Clear(_scores);
    }

    /// <summary>
    /// Takes <paramref name="measured"/> as the pose, with the measurement's variance (a fix without a
    /// prediction: an initial pose, a relocalisation, a pose without odometry). What was learnt about the
    /// odometry is kept.
    /// </summary>
    public void Start(Se3 measured, double sigma, double sigmaRad)
    {
        for (int m = 0; m < _drifts.Length; m++)
            (_poses[m], _translationVariance[m], _rotationVariance[m]) = (measured, sigma * sigma, sigmaRad * sigmaRad);
        _started = true;
    }

    /// <summary>
    /// Moves every filter's pose by the odometry increment between two frames and grows its variance by
    /// (drift × distance)² and (drift × angle)², divided by <paramref name="share"/> (in (0, 1]): the share of
    /// the correlation time the increment spans. Odometry drift is systematic, so within the correlation
    /// time its error grows with the distance, not with its square root: n increments of D/n, each a
    /// share 1/n, add n · (d·D/n)² · n = (d·D)², what one increment of D adds.
    /// </summary>
    public void Predict(Se3 increment, double share = 1)
    {
        if (!_started)
            throw new InvalidOperationException("no pose to predict from: Start first");
        if (!(share > 0 && share <= 1))
            throw new ArgumentOutOfRangeException(nameof(share), $"share {share} of the correlation time must be in (0, 1]");
        double distance = increment.Translation.Norm, angle = increment.Rotation.Angle;
        for (int m = 0; m < _drifts.Length; m++)
        {
            _poses[m] = _poses[m] * increment;
            _translationVariance[m] += Square(_drifts[m] * distance) / share;
            _rotationVariance[m] += Square(_drifts[m] * angle) / share;
        }
    }

    /// <summary>
    /// Kalman update of every filter's prediction with <paramref name="measured"/>: the correction δ =
    /// log(prediction⁻¹ · measured) is applied in part. Scores each filter by the likelihood of its δ
    /// and returns the best filter's pose. A zero sigma takes the measurement as is (no fusion).
    /// <paramref name="share"/> in (0, 1] is how much of an independent measurement the fix carries
    /// (<see cref="LocalizerOptions.MeasurementCorrelationTime"/>): its variances are divided by it, and its
    /// likelihood counts, and the older scores fade, by that share of a whole fix.
    /// </summary>
    public Se3 Update(Se3 measured, double sigma, double sigmaRad, double share = 1)
    {
        if (!_started)
            throw new InvalidOperationException("no prediction to update: Start first");
        if (!(share > 0 && share <= 1))
            throw new ArgumentOutOfRangeException(nameof(share), $"share {share} of a measurement must be in (0, 1]");
        double measuredT = Square(sigma), measuredR = Square(sigmaRad);
        if (measuredT == 0 || measuredR == 0)
        {
            Start(measured, sigma, sigmaRad);
            return measured;
        }
        (measuredT, measuredR) = (measuredT / share, measuredR / share);
        double forgetting = Math.Pow(Forgetting, share);
        for (int m = 0; m < _drifts.Length; m++)
        {
            var correction = (_poses[m].Inverse() * measured).Log();
            double innovationT = _translationVariance[m] + measuredT, innovationR = _rotationVariance[m] + measuredR;
            // Log-likelihood of δ under N(0, S·I₃) for translation and rotation, constants dropped.
            double likelihood = -0.5 * (correction.Translation.SquaredNorm / innovationT + 3 * Math.Log(innovationT)
                + correction.Rotation.SquaredNorm / innovationR + 3 * Math.Log(innovationR));
            _scores[m] = forgetting * _scores[m] + share * likelihood;
            double gainT = _translationVariance[m] / innovationT, gainR = _rotationVariance[m] / innovationR;
            _translationVariance[m] *= 1 - gainT;
            _rotationVariance[m] *= 1 - gainR;
            _poses[m] = _poses[m] * Se3.Exp(new Tangent(gainT * correction.Translation, gainR * correction.Rotation));
        }
        // The first of equal scores: the assumed drift keeps the pose until another filter explains the fixes better.
        _active = 0;
        for (int m = 1; m < _drifts.Length; m++)
            if (_scores[m] > _scores[_active])
                _active = m;
        return _poses[_active];
    }

    private static double Square(double x) => x * x;
}
