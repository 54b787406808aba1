using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Core.Synthetic;
using Mosaic.Localization.Depth;
using Mosaic.Rendering;

namespace Mosaic.Mapping.Tests;

/// <summary>
/// Depth alignment on the synthetic room, whose surfaces are known exactly: a camera at a true pose
/// sees the map's own surface points (the Gaussians' centres in its view).
/// </summary>
public class DepthAlignmentTests
{
    private static readonly Lazy<GaussianMap> Room = new(() => SyntheticRoom.Generate(60_000, 8, seed: 2));
    private static readonly CameraModel Camera = new(SyntheticRoom.Camera, DistortionModel.None);

    /// <summary>Every 5th Gaussian centre of <paramref name="map"/> in the camera's view (0.3-4 m ahead), in camera coordinates.</summary>
    private static List<Vector3d> SurfacePointsSeenFrom(GaussianMap map, Se3 mapFromCamera)
    {
        var camFromMap = mapFromCamera.Inverse();
        var points = new List<Vector3d>();
        for (int i = 0; i < map.Count; i += 5)
        {
            var p = camFromMap.Apply(new Vector3d(map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2]));
            if (p.Z < 0.3 || p.Z > 4)
                continue;
            var (u, v) = Camera.Project(p);
            if (u >= 0 && v >= 0 && u < Camera.Intrinsics.Width && v < Camera.Intrinsics.Height)
                points.Add(p);
        }
        return points;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    public void A_pose_3_cm_and_2_degrees_off_is_moved_back_onto_the_surfaces(int seed)
    {
        var truth = SyntheticRoom.RandomCameraPose(new Random(seed));
        var alignment = new DepthAlignment(Room.Value);
        var points = SurfacePointsSeenFrom(Room.Value, truth);
        var start = truth * Se3.Exp(new Tangent(new Vector3d(0.02, -0.015, 0.015), new Vector3d(0.02, -0.02, 0.01)));

        var result = alignment.Align(points, start);

        var (t, r) = Se3.Distance(result.MapFromCamera, truth);
        Assert.True(t < 0.002 && r < 0.05 * Math.PI / 180, $"aligned {t * 1000:F2} mm, {r * 180 / Math.PI:F3} deg from the truth");
        Assert.True(result.Converged);
        Assert.True(result.Support > 0.95, $"support {result.Support:P1}");
        Assert.True(result.RmsAfter < result.RmsBefore / 3, $"rms {result.RmsBefore * 100:F2} -> {result.RmsAfter * 100:F2} cm");
        Assert.True(result.Conditioning > new PoseCheckOptions().MinConditioning, $"conditioning {result.Conditioning:G3}");
    }

    [Fact]
    public void Depth_pixels_become_points_in_the_colour_camera_within_the_depth_range()
    {
        var depth = new Image<float>(64, 48);
        Array.Fill(depth.Data, 2f);
        depth.Data[0] = float.NaN;
        depth.Data[4] = 9f;
        var camera = new CameraModel(new PinholeCamera(64, 48, 50, 50, 31.5, 23.5), DistortionModel.None);
        var colorFromDepth = new Se3(So3.Identity, new Vector3d(-0.025, 0, 0));
        var alignment = new DepthAlignment(Room.Value, new DepthAlignmentOptions { PixelStride = 4 });

        var points = alignment.Points(depth, camera, colorFromDepth);

        Assert.Equal(16 * 12 - 2, points.Count); // pixel (0, 0) has no reading, pixel (4, 0) is beyond max_depth
        Assert.All(points, p => Assert.Equal(2, p.Z, 9));
        var first = points[0]; // pixel (8, 0)
        Assert.Equal((8 - 31.5) / 50 * 2 - 0.025, first.X, 9);
        Assert.Equal(-23.5 / 50 * 2, first.Y, 9);
    }

    [Fact]
    public void A_view_of_one_flat_floor_leaves_directions_unconstrained_and_says_so()
    {
        var floorOnly = Room.Value.Where((_, _, z) => z < 0.01);
        var lookingDown = new Se3(So3.FromMatrix(new Matrix3d(1, 0, 0, 0, -1, 0, 0, 0, -1)), new Vector3d(0, 0, 1.5));
        var alignment = new DepthAlignment(floorOnly);

        var result = alignment.Align(SurfacePointsSeenFrom(floorOnly, lookingDown), lookingDown);

        Assert.True(result.Support > 0.95);
        Assert.True(result.Conditioning < 1e-6, $"conditioning {result.Conditioning:G3}: sliding along the floor changes nothing");
        Assert.True(result.Conditioning < new PoseCheckOptions().MinConditioning, "a pose check must not trust it");
    }

    [Fact]
    public void Points_far_from_every_surface_have_no_support_and_leave_the_pose_alone()
    {
        var alignment = new DepthAlignment(Room.Value);
        var pose = new Se3(So3.Identity, new Vector3d(50, 50, 50));
        var result = alignment.Align([new Vector3d(0, 0, 1), new Vector3d(0.1, 0, 1.2)], pose);
        Assert.Equal(0, result.Support);
        Assert.Equal(pose, result.MapFromCamera);
        Assert.Equal(0, result.Iterations);
    }

    [Fact]
    public void Bad_options_are_refused_with_the_setting_named()
    {
        Assert.Contains("pixel_stride", Assert.Throws<ArgumentException>(() => new DepthAlignment(Room.Value, new DepthAlignmentOptions { PixelStride = 0 })).Message);
        Assert.Contains("min_support", Assert.Throws<ArgumentException>(() => new PoseCheckOptions { MinSupport = 1.5 }.Validate()).Message);
    }
}
