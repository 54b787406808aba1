using System.Buffers.Binary;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Ros.Messages;

namespace Mosaic.Node;

/// <summary>Mosaic's geometry to and from ROS messages (REP-103), including the pose covariance convention, and the map as a point cloud.</summary>
public static class RosConversions
{
    /// <summary>
    /// The fields of <see cref="MapCloud"/>'s points, in the layout of PCL's PointXYZRGBL so that RViz
    /// and PCL read them by name: position (float32 x, y, z), the label's palette colour packed as
    /// PCL does (float32 rgb holding 0x00RRGGBB) and the label itself (uint32).
    /// </summary>
    public static IReadOnlyList<PointField> MapCloudFields { get; } =
    [
        new("x", 0, PointField.Float32, 1),
        new("y", 4, PointField.Float32, 1),
        new("z", 8, PointField.Float32, 1),
        new("rgb", 12, PointField.Float32, 1),
        new("label", 16, PointField.UInt32, 1),
    ];

    private const int MapCloudPointStep = 20;

    /// <summary>
    /// The map's Gaussians as a sensor_msgs/PointCloud2 for viewers: one point per Gaussian at its
    /// centre, coloured by <see cref="LabelPalette"/>. It holds nothing the map does not (positions and
    /// labels; the palette is a function of the label number only).
    /// </summary>
    /// <param name="map">The map's Gaussians.</param>
    /// <param name="header">Stamp and frame (the map's frame).</param>
    public static PointCloud2 MapCloud(GaussianMap map, Header header)
    {
        var data = new byte[checked(map.Count * MapCloudPointStep)];
        for (int i = 0; i < map.Count; i++)
        {
            var point = data.AsSpan(i * MapCloudPointStep, MapCloudPointStep);
            BinaryPrimitives.WriteSingleLittleEndian(point, map.Positions[3 * i]);
            BinaryPrimitives.WriteSingleLittleEndian(point[4..], map.Positions[3 * i + 1]);
            BinaryPrimitives.WriteSingleLittleEndian(point[8..], map.Positions[3 * i + 2]);
            var (r, g, b) = LabelPalette.Color(map.Labels[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(point[12..], (uint)(r << 16 | g << 8 | b));
            BinaryPrimitives.WriteUInt32LittleEndian(point[16..], map.Labels[i]);
        }
        return new PointCloud2(header, 1, (uint)map.Count, MapCloudFields, false, MapCloudPointStep,
            (uint)data.Length, data, IsDense: true);
    }

    /// <summary>A transform as a geometry_msgs/Pose.</summary>
    public static Pose ToPose(Se3 t)
    {
        var q = t.Rotation.ToQuaternion();
        return new Pose(new Point(t.Translation.X, t.Translation.Y, t.Translation.Z), new Quaternion(q.X, q.Y, q.Z, q.W));
    }

    /// <summary>A transform as a geometry_msgs/Transform.</summary>
    public static Transform ToTransform(Se3 t)
    {
        var q = t.Rotation.ToQuaternion();
        return new Transform(new Vector3(t.Translation.X, t.Translation.Y, t.Translation.Z), new Quaternion(q.X, q.Y, q.Z, q.W));
    }

    /// <summary>A geometry_msgs/Pose as a transform.</summary>
    /// <exception cref="ArgumentException">NaN/∞ values or a zero quaternion.</exception>
    public static Se3 FromPose(Pose pose)
    {
        var (p, q) = (pose.Position, pose.Orientation);
        double[] all = [p.X, p.Y, p.Z, q.X, q.Y, q.Z, q.W];
        if (all.Any(v => !double.IsFinite(v)))
            throw new ArgumentException("the pose has NaN or infinite values");
        if (q.X * q.X + q.Y * q.Y + q.Z * q.Z + q.W * q.W < 1e-12)
            throw new ArgumentException("the pose's orientation quaternion is zero");
        return Se3.FromQuaternion(new Quaterniond(q.W, q.X, q.Y, q.Z), new Vector3d(p.X, p.Y, p.Z));
    }

    /// <summary>
    /// A camera pose's covariance (over Mosaic's left perturbation (ρ, φ) of T_cam_map, see
    /// <see cref="Localization.RefinementResult.Covariance"/>) as the covariance of a published
    /// PoseWithCovariance of the body: row-major 6×6 over (x, y, z, rotX, rotY, rotZ), position and
    /// rotation errors both expressed along the axes of the pose's header frame (the map).
    /// </summary>
    /// <param name="cameraCovariance">Row-major 6×6, the localizer's (<see cref="Localization.LocalizationResult.Covariance"/>).</param>
    /// <param name="mapFromCamera">The published T_map_cam.</param>
    /// <param name="mapFromBase">The published T_map_base.</param>
    public static double[] ToRosCovariance(double[] cameraCovariance, Se3 mapFromCamera, Se3 mapFromBase)
    {
        // T_cam_map ← Exp(ξ)·T_cam_map makes T_map_cam ← T_map_cam·Exp(−ξ) and, with
        // T_map_base = T_map_cam·T_cam_base, T_map_base ← T_map_base·Exp(−Ad(T_base_cam)·ξ): a body-frame
        // error ζ. A body error (ρ_b, φ_b) moves the origin by R·ρ_b and turns by R·φ_b in map axes
        // (to first order), with R the rotation of T_map_base. So J = diag(R, R)·Ad(T_base_cam).
        var baseFromCamera = mapFromBase.Inverse() * mapFromCamera;
        var r = mapFromBase.Rotation.Matrix;
        var adjoint = Adjoint(baseFromCamera);
        var j = new double[36];
        for (int row = 0; row < 6; row++)
        {
            for (int col = 0; col < 6; col++)
            {
                int block = row / 3 * 3;
                double sum = 0;
                for (int k = 0; k < 3; k++)
                    sum += r[row % 3, k] * adjoint[(block + k) * 6 + col];
                j[row * 6 + col] = sum;
            }
        }
        var result = new double[36];
        for (int a = 0; a < 6; a++)
        {
            for (int b = 0; b < 6; b++)
            {
                double sum = 0;
                for (int k = 0; k < 6; k++)
                {
                    for (int l = 0; l < 6; l++)
                        sum += j[a * 6 + k] * cameraCovariance[k * 6 + l] * j[b * 6 + l];
                }
                result[a * 6 + b] = sum;
            }
        }
        return result;
    }

    /// <summary>The 6×6 adjoint of T = (R, t) for tangents ordered (ρ, φ): [[R, [t]×R], [0, R]], row-major.</summary>
    public static double[] Adjoint(Se3 t)
    {
        var r = t.Rotation.Matrix;
        var tr = Matrix3d.Skew(t.Translation) * r;
        var a = new double[36];
        for (int i = 0; i < 3; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                a[i * 6 + k] = r[i, k];
                a[i * 6 + 3 + k] = tr[i, k];
                a[(i + 3) * 6 + 3 + k] = r[i, k];
            }
        }
        return a;
    }
}
