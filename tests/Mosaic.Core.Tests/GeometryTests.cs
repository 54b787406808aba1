using Mosaic.Core.Geometry;

namespace Mosaic.Core.Tests;

public class GeometryTests
{
    private static Vector3d RandomVector(Random rng, double scale) =>
        new Vector3d(rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1) * scale;

    private static Se3 RandomPose(Random rng) =>
        Se3.Exp(new Tangent(RandomVector(rng, 5), RandomVector(rng, 1.7)));

    public static IEnumerable<object[]> Seeds => Enumerable.Range(0, 200).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Exp_of_log_is_the_identity_map(int seed)
    {
        var t = RandomPose(new Random(seed));
        var back = Se3.Exp(t.Log());
        Assert.True(back.Rotation.Matrix.MaxAbsDifference(t.Rotation.Matrix) < 1e-12);
        Assert.True((back.Translation - t.Translation).Norm < 1e-11);
    }

    [Fact]
    public void Log_of_exp_is_the_identity_for_small_and_large_angles()
    {
        var rng = new Random(5);
        foreach (double angle in new[] { 0, 1e-9, 1e-5, 1e-3, 0.5, 2, 3.1 })
        {
            var xi = new Tangent(RandomVector(rng, 2), RandomVector(rng, 1).Normalized() * angle);
            var back = Se3.Exp(xi).Log();
            Assert.True((back.Translation - xi.Translation).Norm < 1e-9, $"angle {angle}");
            Assert.True((back.Rotation - xi.Rotation).Norm < 1e-12, $"angle {angle}");
        }
    }

    [Fact]
    public void So3_log_is_stable_at_pi()
    {
        var axis = new Vector3d(1, 2, -0.5).Normalized();
        var r = So3.Exp(axis * Math.PI);
        Assert.Equal(Math.PI, r.Angle, 9);
        Assert.True(So3.Exp(r.Log()).Matrix.MaxAbsDifference(r.Matrix) < 1e-9);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Inverse_and_composition_agree_on_points(int seed)
    {
        var rng = new Random(seed);
        var a = RandomPose(rng);
        var b = RandomPose(rng);
        var p = RandomVector(rng, 10);
        Assert.True(((a * b).Apply(p) - a.Apply(b.Apply(p))).Norm < 1e-10);
        Assert.True((a.Inverse().Apply(a.Apply(p)) - p).Norm < 1e-10);
        var (dt, dr) = Se3.Distance(a * a.Inverse(), Se3.Identity);
        Assert.True(dt < 1e-10 && dr < 1e-7);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Quaternion_and_matrix_round_trip(int seed)
    {
        var r = So3.Exp(RandomVector(new Random(seed), 3));
        var q = r.ToQuaternion();
        Assert.Equal(1, q.Norm, 12);
        Assert.True(q.W >= 0);
        Assert.True(So3.FromQuaternion(q).Matrix.MaxAbsDifference(r.Matrix) < 1e-12);
    }

    [Fact]
    public void Quaternion_product_composes_rotations_like_matrices()
    {
        var rng = new Random(9);
        var a = So3.Exp(RandomVector(rng, 2));
        var b = So3.Exp(RandomVector(rng, 2));
        var q = a.ToQuaternion() * b.ToQuaternion();
        Assert.True(q.ToMatrix().MaxAbsDifference((a * b).Matrix) < 1e-12);
    }

    [Fact]
    public void Left_perturbation_moves_camera_points_as_documented()
    {
        // Convention: T ← Exp(ξ)·T, so camera-frame points move by dp/dρ = I, dp/dφ = −[p]×.
        var rng = new Random(3);
        var t = RandomPose(rng);
        var p = RandomVector(rng, 4);
        var pc = t.Apply(p);
        double h = 1e-7;
        for (int k = 0; k < 6; k++)
        {
            var xi = new double[6];
            xi[k] = h;
            var moved = (Se3.Exp(Tangent.FromArray(xi)) * t).Apply(p);
            var numeric = (moved - pc) / h;
            var expected = k < 3
                ? new Vector3d(k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0)
                : Vector3d.Cross(new Vector3d(k == 3 ? 1 : 0, k == 4 ? 1 : 0, k == 5 ? 1 : 0), pc);
            Assert.True((numeric - expected).Norm < 1e-5, $"component {k}");
        }
    }

    [Fact]
    public void Rotation_from_a_non_rotation_matrix_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => So3.FromMatrix(Matrix3d.Diagonal(1, 1, -1)));
        Assert.Throws<ArgumentException>(() => new Quaterniond(0, 0, 0, 0).Normalized());
    }
}

public sealed class SymmetricEigen3Tests
{
    [Fact]
    public void Decomposition_reconstructs_random_covariances_with_a_proper_rotation_and_ascending_values()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 500; trial++)
        {
            var rotation = So3.Exp(new Vector3d(random.NextDouble() * 4 - 2, random.NextDouble() * 4 - 2, random.NextDouble() * 4 - 2)).Matrix;
            var scales = Matrix3d.Diagonal(Math.Pow(10, -4 * random.NextDouble()), Math.Pow(10, -4 * random.NextDouble()), trial % 5 == 0 ? 0 : random.NextDouble());
            var a = rotation * scales * rotation.Transpose();
            var (values, vectors) = SymmetricEigen3.Decompose(a.M00, a.M01, a.M02, a.M11, a.M12, a.M22);
            Assert.True(values.X <= values.Y && values.Y <= values.Z);
            Assert.Equal(1, vectors.Determinant, 9);
            var back = vectors * Matrix3d.Diagonal(values.X, values.Y, values.Z) * vectors.Transpose();
            Assert.True(back.MaxAbsDifference(a) < 1e-12, $"trial {trial}: {back.MaxAbsDifference(a)}");
        }
    }
}

public sealed class TumTrajectoryTests
{
    [Fact]
    public void Poses_are_written_one_per_line_as_seconds_then_translation_then_quaternion_xyzw()
    {
        var pose = new Se3(So3.Exp(new Vector3d(0.1, -0.2, 0.3)), new Vector3d(1.5, -2, 0.25));
        string text = TumTrajectory.Format([(1_600_000_000_033_333_333, pose)], "camera in map");

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("# timestamp tx ty tz qx qy qz qw (camera in map)", lines[0]);
        var v = lines[1].Split(' ').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal("1600000000.033333333", lines[1].Split(' ')[0]);
        var back = Se3.FromQuaternion(new Quaterniond(v[7], v[4], v[5], v[6]), new Vector3d(v[1], v[2], v[3]));
        var (t, r) = Se3.Distance(back, pose);
        Assert.True(t < 1e-15 && r < 1e-12);
    }

    [Fact]
    public void What_format_writes_parse_reads_back_within_a_hundred_nanoseconds_and_to_the_last_bit_of_the_pose()
    {
        var rng = new Random(3);
        var poses = Enumerable.Range(0, 20).Select(i => (Stamp: 1_600_000_010_000_000_000 + i * 166_666_667L,
            Pose: Se3.Exp(new Tangent(new Vector3d(rng.NextDouble(), rng.NextDouble(), rng.NextDouble()), new Vector3d(rng.NextDouble(), -rng.NextDouble(), rng.NextDouble()))))).ToList();

        var read = TumTrajectory.Parse(TumTrajectory.Format(poses, "camera in map").Split('\n'), "test.tum");

        Assert.Equal(poses.Count, read.Count);
        foreach (var ((stamp, pose), tum) in poses.Zip(read))
        {
            Assert.InRange(tum.Stamp - stamp, -100, 100);
            Assert.Equal(pose.Translation, tum.Translation);
            var (translation, rotation) = Se3.Distance(pose, tum.ToSe3());
            Assert.True(translation == 0 && rotation < 1e-12, $"{translation} m, {rotation} rad");
        }
    }

    [Fact]
    public void Comments_blank_lines_tabs_and_commas_are_accepted()
    {
        var read = TumTrajectory.Parse(["# timestamp tx ty tz qx qy qz qw", "", "1.5\t1 2 3 0 0 0 1", "2.0,4,5,6,0,0,0.7071068,0.7071068"], "t.tum");

        Assert.Equal([1_500_000_000L, 2_000_000_000L], read.Select(p => p.Stamp));
        Assert.Equal(new Vector3d(4, 5, 6), read[1].Translation);
        Assert.Equal(Math.PI / 2, read[1].ToSe3().Rotation.Log().Norm, 6);
    }

    [Theory]
    [InlineData("1.0 1 2 3 0 0 0", "t.tum:2: expected 'timestamp tx ty tz qx qy qz qw', found '1.0 1 2 3 0 0 0'")]
    [InlineData("1.0 1 2 x 0 0 0 1", "t.tum:2: expected 'timestamp tx ty tz qx qy qz qw'")]
    [InlineData("1.0 1 2 3 0 0 0 NaN", "t.tum:2: expected 'timestamp tx ty tz qx qy qz qw'")]
    [InlineData("1.0 1 2 3 0 0 0 2", "t.tum:2: the quaternion (qx qy qz qw) has norm 2, not 1")]
    public void A_malformed_line_is_an_error_naming_the_file_and_line(string line, string message)
    {
        var error = Assert.Throws<FormatException>(() => TumTrajectory.Parse(["0.5 0 0 0 0 0 0 1", line], "t.tum"));

        Assert.StartsWith(message, error.Message);
    }
}
