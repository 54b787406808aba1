using Mosaic.Core.Geometry;

namespace Mosaic.Node.Tests;

public class RosConversionsTests
{
    [Fact]
    public void Poses_round_trip_through_messages()
    {
        var t = Se3.Exp(new Tangent(new Vector3d(1, -2, 0.5), new Vector3d(0.3, -0.2, 1.1)));
        var back = RosConversions.FromPose(RosConversions.ToPose(t));
        var (dt, dr) = Se3.Distance(t, back);
        Assert.True(dt < 1e-12 && dr < 1e-12);
    }

    [Fact]
    public void Bad_poses_are_refused()
    {
        Assert.Throws<ArgumentException>(() => RosConversions.FromPose(new Ros.Messages.Pose(new(0, 0, double.NaN), Ros.Messages.Quaternion.Identity)));
        Assert.Throws<ArgumentException>(() => RosConversions.FromPose(new Ros.Messages.Pose(new(0, 0, 0), new(0, 0, 0, 0))));
    }

    [Fact]
    public void The_published_covariance_is_the_camera_covariance_carried_to_the_body_in_map_axes()
    {
        // Each column of the Jacobian, by finite differences: perturb T_cam_map on the left by ε·e_i
        // (Mosaic's convention), move the body with it, and read the body's position change and
        // rotation change in map axes. The published covariance must be J Σ Jᵀ.
        var mapFromCamera = Se3.Exp(new Tangent(new Vector3d(2, 1, 0.4), new Vector3d(0.2, 0.5, -0.3)));
        var baseFromCamera = Se3.Exp(new Tangent(new Vector3d(0.1, 0.0, 0.3), new Vector3d(-1.2, 0.1, -1.5)));
        var mapFromBase = mapFromCamera * baseFromCamera.Inverse();
        const double eps = 1e-6;
        var j = new double[36];
        for (int i = 0; i < 6; i++)
        {
            var xi = new double[6];
            xi[i] = eps;
            var camFromMap = Se3.Exp(Tangent.FromArray(xi)) * mapFromCamera.Inverse();
            var moved = camFromMap.Inverse() * baseFromCamera.Inverse();
            var dt = moved.Translation - mapFromBase.Translation;
            var dr = (moved.Rotation * mapFromBase.Rotation.Inverse()).Log();
            double[] column = [dt.X, dt.Y, dt.Z, dr.X, dr.Y, dr.Z];
            for (int row = 0; row < 6; row++)
                j[row * 6 + i] = column[row] / eps;
        }
        var random = new Random(3);
        var a = Enumerable.Range(0, 36).Select(_ => random.NextDouble() - 0.5).ToArray();
        var sigma = new double[36];
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 6; c++)
                sigma[r * 6 + c] = Enumerable.Range(0, 6).Sum(k => a[r * 6 + k] * a[c * 6 + k]) * 1e-4;

        var published = RosConversions.ToRosCovariance(sigma, mapFromCamera, mapFromBase);

        for (int r = 0; r < 6; r++)
        {
            for (int c = 0; c < 6; c++)
            {
                double expected = Enumerable.Range(0, 6).Sum(k => Enumerable.Range(0, 6).Sum(l => j[r * 6 + k] * sigma[k * 6 + l] * j[c * 6 + l]));
                Assert.Equal(expected, published[r * 6 + c], 1e-8);
            }
        }
    }
}
