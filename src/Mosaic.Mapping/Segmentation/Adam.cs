namespace Mosaic.Mapping.Segmentation;

/// <summary>The Adam optimiser (Kingma and Ba, 2015) over one flat parameter vector, with bias correction.</summary>
public sealed class Adam
{
    private readonly double[] _m, _v;
    private int _step;

    /// <summary>Step size α.</summary>
    public double LearningRate { get; set; }

    /// <summary>Decay of the first moment, β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Decay of the second moment, β₂.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Added to √v̂ to avoid division by zero, ε.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>An optimiser for <paramref name="parameterCount"/> parameters.</summary>
    public Adam(int parameterCount, double learningRate)
    {
        if (!(learningRate > 0))
            throw new ArgumentException($"learning rate {learningRate} must be positive");
        _m = new double[parameterCount];
        _v = new double[parameterCount];
        LearningRate = learningRate;
    }

    /// <summary>One step: moves <paramref name="parameters"/> against <paramref name="gradient"/>.</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
            throw new ArgumentException($"expected {_m.Length} parameters and gradient values");
        _step++;
        double c1 = 1 - Math.Pow(Beta1, _step), c2 = 1 - Math.Pow(Beta2, _step);
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i];
            _m[i] = Beta1 * _m[i] + (1 - Beta1) * g;
            _v[i] = Beta2 * _v[i] + (1 - Beta2) * g * g;
            parameters[i] -= LearningRate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + Epsilon);
        }
    }
}
