using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;

namespace Mosaic.Core.Tests;

public class CameraTests
{
    // Coefficients of real calibrations' magnitude: a Kinect-like plumb_bob, a wide-angle rational
    // polynomial and a fisheye equidistant model.
    public static IEnumerable<object[]> Models =>
    [
        [DistortionModel.None, Array.Empty<double>()],
        [DistortionModel.PlumbBob, new[] { 0.2624, -0.9531, -0.0054, 0.0026, 1.1633 }],
        [DistortionModel.RationalPolynomial, new[] { 0.5, -0.1, 0.001, -0.002, 0.01, 0.8, 0.05, 0.02 }],
        [DistortionModel.Equidistant, new[] { -0.01, 0.05, -0.07, 0.03 }],
    ];

    private static readonly PinholeCamera K = new(640, 480, 525, 525, 319.5, 239.5);

    [Theory]
    [MemberData(nameof(Models))]
    public void Project_of_unproject_is_the_identity_over_the_image(DistortionModel model, double[] d)
    {
        var camera = new CameraModel(K, model, d);
        for (int v = 0; v < 480; v += 37)
        {
            for (int u = 0; u < 640; u += 41)
            {
                Assert.True(camera.TryUnproject(u, v, out var ray), $"({u}, {v}) must be invertible");
                var (pu, pv) = camera.Project(ray * 2.5);
                Assert.True(Math.Abs(pu - u) < 1e-6 && Math.Abs(pv - v) < 1e-6, $"({u}, {v}) -> ({pu}, {pv})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Unproject_of_project_returns_the_ray_of_random_points(DistortionModel model, double[] d)
    {
        var camera = new CameraModel(K, model, d);
        var rng = new Random(1);
        for (int i = 0; i < 500; i++)
        {
            var p = new Vector3d(rng.NextDouble() - 0.5, (rng.NextDouble() - 0.5) * 0.75, 1) * (0.5 + 5 * rng.NextDouble());
            var (u, v) = camera.Project(p);
            Assert.True(camera.TryUnproject(u, v, out var ray));
            Assert.True((ray - p / p.Z).Norm < 1e-9);
        }
    }

    [Fact]
    public void Camera_info_fields_map_to_the_model()
    {
        var m = CameraModel.FromCameraInfo(640, 480, "plumb_bob", [0.1, 0, 0, 0, 0], [520, 0, 320, 0, 521, 240, 0, 0, 1]);
        Assert.Equal(DistortionModel.PlumbBob, m.Distortion);
        Assert.Equal(521, m.Intrinsics.Fy);
        Assert.Equal(DistortionModel.None, CameraModel.FromCameraInfo(64, 48, "", [], [50, 0, 32, 0, 50, 24, 0, 0, 1]).Distortion);
        var e = Assert.Throws<ArgumentException>(() => CameraModel.FromCameraInfo(64, 48, "kannala_brandt", [0.1], [50, 0, 32, 0, 50, 24, 0, 0, 1]));
        Assert.Contains("kannala_brandt", e.Message);
        Assert.Throws<ArgumentException>(() => new CameraModel(K, DistortionModel.PlumbBob, [0.1, 0, 0, 0, 0, 0.3]));
    }

    [Fact]
    public void Pyramid_levels_keep_pixel_centres_consistent()
    {
        var level2 = K.AtLevel(2);
        Assert.Equal((160, 120), (level2.Width, level2.Height));
        // The centre of the 4x4 block starting at full-res pixel (8, 12) is at (9.5, 13.5): level-2 pixel (2, 3).
        var ray = K.Unproject(9.5, 13.5);
        var (u, v) = level2.Project(ray);
        Assert.Equal(2, u, 12);
        Assert.Equal(3, v, 12);
    }

    [Fact]
    public void Undistorting_a_synthetic_distorted_image_recovers_the_pinhole_image()
    {
        // A smooth pattern rendered through a distorted camera, resampled back to the pinhole at
        // level 1, must equal the pattern rendered directly through that pinhole.
        var model = new CameraModel(K, DistortionModel.PlumbBob, [0.2624, -0.9531, -0.0054, 0.0026, 1.1633]);
        static float Pattern(Vector3d ray) => (float)(Math.Sin(7 * ray.X) * Math.Cos(5 * ray.Y));
        var raw = new Image<float>(640, 480);
        for (int v = 0; v < 480; v++)
            for (int u = 0; u < 640; u++)
            {
                Assert.True(model.TryUnproject(u, v, out var ray));
                raw[u, v] = Pattern(ray);
            }
        var target = K.AtLevel(1);
        var undistorted = new Undistorter(model, target).ResampleBilinear(raw);
        int compared = 0;
        for (int v = 0; v < target.Height; v++)
            for (int u = 0; u < target.Width; u++)
            {
                float value = undistorted[u, v];
                if (float.IsNaN(value))
                    continue;
                compared++;
                Assert.True(Math.Abs(value - Pattern(target.Unproject(u, v))) < 2e-3, $"({u}, {v})");
            }
        Assert.True(compared > 0.8 * target.Width * target.Height);
    }

    [Fact]
    public void Label_resampling_is_nearest_and_marks_outside_pixels_ignored()
    {
        var model = new CameraModel(new PinholeCamera(8, 6, 10, 10, 3.5, 2.5), DistortionModel.None);
        var labels = new Image<ushort>(8, 6);
        for (int i = 0; i < labels.Data.Length; i++)
            labels.Data[i] = (ushort)i;
        var shifted = new PinholeCamera(8, 6, 10, 10, 4.5, 2.5); // one pixel to the right
        var result = new Undistorter(model, shifted).ResampleNearest(labels);
        Assert.Equal(Labels.Ignore, result[0, 0]);
        Assert.Equal(labels[0, 0], result[1, 0]);
        Assert.Equal(labels[6, 5], result[7, 5]);
    }
}
