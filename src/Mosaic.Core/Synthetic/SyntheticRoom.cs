using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;

namespace Mosaic.Core.Synthetic;

/// <summary>
/// A procedurally generated labelled room for demos, tests and benchmarks where exact ground truth
/// matters: floor, ceiling and four walls tiled into patches of random labels, plus boxes standing on
/// the floor with one label per face. Surfaces are covered by flat (disc-like) Gaussians. The map
/// frame follows REP-103: x forward, y left, z up, floor at z = 0.
/// </summary>
public static class SyntheticRoom
{
    /// <summary>Half-extent of the room along x (metres).</summary>
    public const double HalfLength = 3.0;

    /// <summary>Half-extent of the room along y (metres).</summary>
    public const double HalfWidth = 2.5;

    /// <summary>Ceiling height (metres).</summary>
    public const double Height = 2.8;

    private const double PatchSize = 0.6;

    private sealed record Surface(Vector3d Origin, Vector3d U, Vector3d V, double LengthU, double LengthV, int? Label);

    /// <summary>
    /// Generates a room of about <paramref name="targetCount"/> Gaussians (the surface spacing is chosen
    /// to match) with labels in [0, <paramref name="labelCount"/>). Deterministic for a seed.
    /// </summary>
    public static GaussianMap Generate(int targetCount, int labelCount = 16, int seed = 1)
    {
        if (targetCount < 100)
            throw new ArgumentOutOfRangeException(nameof(targetCount), "a room needs at least 100 Gaussians");
        if (labelCount < 2)
            throw new ArgumentOutOfRangeException(nameof(labelCount), "a room needs at least 2 labels");
        var rng = new Random(seed);
        var surfaces = Surfaces(rng, labelCount);
        double area = surfaces.Sum(s => s.LengthU * s.LengthV);
        double spacing = Math.Sqrt(area / targetCount);

        var points = new List<(Vector3d Position, Quaterniond Rotation, ushort Label)>(targetCount + targetCount / 10);
        var patchLabels = new Dictionary<(int Surface, int I, int J), ushort>();
        for (int s = 0; s < surfaces.Count; s++)
        {
            var surface = surfaces[s];
            var normal = Vector3d.Cross(surface.U, surface.V);
            var rotation = Quaterniond.FromMatrix(Matrix3d.FromColumns(surface.U, surface.V, normal));
            int nu = Math.Max(1, (int)Math.Round(surface.LengthU / spacing));
            int nv = Math.Max(1, (int)Math.Round(surface.LengthV / spacing));
            for (int i = 0; i < nu; i++)
            {
                for (int j = 0; j < nv; j++)
                {
                    double a = (i + 0.5) / nu * surface.LengthU, b = (j + 0.5) / nv * surface.LengthV;
                    ushort label = surface.Label is int fixedLabel
                        ? (ushort)fixedLabel
                        : PatchLabel(patchLabels, rng, labelCount, s, a, b);
                    var jitter = (rng.NextDouble() - 0.5) * 0.3 * spacing;
                    points.Add((surface.Origin + (a + jitter) * surface.U + b * surface.V, rotation, label));
                }
            }
        }

        var map = new GaussianMap(points.Count, labelCount);
        float inPlane = (float)Math.Log(0.7 * spacing), thickness = (float)Math.Log(0.1 * spacing);
        for (int i = 0; i < points.Count; i++)
        {
            var (p, q, label) = points[i];
            map.Positions[3 * i] = (float)p.X;
            map.Positions[3 * i + 1] = (float)p.Y;
            map.Positions[3 * i + 2] = (float)p.Z;
            map.LogScales[3 * i] = inPlane;
            map.LogScales[3 * i + 1] = inPlane;
            map.LogScales[3 * i + 2] = thickness;
            map.Rotations[4 * i] = (float)q.W;
            map.Rotations[4 * i + 1] = (float)q.X;
            map.Rotations[4 * i + 2] = (float)q.Y;
            map.Rotations[4 * i + 3] = (float)q.Z;
            map.OpacityLogits[i] = 2.5f;
            map.Labels[i] = label;
        }
        return map;
    }

    /// <summary>
    /// A random camera pose T_map_cam inside the room, 1–1.8 m above the floor, looking roughly
    /// horizontally (pitch −25° to +10°) in a random direction, at least 1 m from the walls.
    /// </summary>
    public static Se3 RandomCameraPose(Random rng)
    {
        var position = new Vector3d(
            (rng.NextDouble() * 2 - 1) * (HalfLength - 1),
            (rng.NextDouble() * 2 - 1) * (HalfWidth - 1),
            1 + 0.8 * rng.NextDouble());
        double yaw = rng.NextDouble() * 2 * Math.PI;
        double pitch = (-25 + 35 * rng.NextDouble()) * Math.PI / 180;
        var forward = new Vector3d(Math.Cos(yaw) * Math.Cos(pitch), Math.Sin(yaw) * Math.Cos(pitch), Math.Sin(pitch));
        var right = Vector3d.Cross(forward, new Vector3d(0, 0, 1)).Normalized();
        var down = Vector3d.Cross(forward, right);
        // Optical frame: x right, y down, z forward.
        return new Se3(So3.FromMatrix(Matrix3d.FromColumns(right, down, forward)), position);
    }

    /// <summary>A Kinect-like 640×480 pinhole camera (fx = fy = 525).</summary>
    public static PinholeCamera Camera { get; } = new(640, 480, 525, 525, 319.5, 239.5);

    private static ushort PatchLabel(Dictionary<(int, int, int), ushort> labels, Random rng, int labelCount, int surface, double a, double b)
    {
        var key = (surface, (int)(a / PatchSize), (int)(b / PatchSize));
        if (!labels.TryGetValue(key, out ushort label))
        {
            label = (ushort)rng.Next(labelCount);
            labels[key] = label;
        }
        return label;
    }

    private static List<Surface> Surfaces(Random rng, int labelCount)
    {
        var x = new Vector3d(1, 0, 0);
        var y = new Vector3d(0, 1, 0);
        var z = new Vector3d(0, 0, 1);
        double l = HalfLength, w = HalfWidth, h = Height;
        // Each surface spans Origin + [0, LengthU]·U + [0, LengthV]·V; U × V is its normal (the sign does
        // not matter: the Gaussians are symmetric discs).
        var surfaces = new List<Surface>
        {
            new(new(-l, -w, 0), x, y, 2 * l, 2 * w, null),   // floor
            new(new(-l, w, h), x, -y, 2 * l, 2 * w, null),   // ceiling
            new(new(-l, -w, 0), z, y, h, 2 * w, null),       // wall x = −l
            new(new(l, w, 0), z, -y, h, 2 * w, null),        // wall x = +l
            new(new(l, -w, 0), z, -x, h, 2 * l, null),       // wall y = −w
            new(new(-l, w, 0), z, x, h, 2 * l, null),        // wall y = +w
        };
        for (int box = 0; box < 6; box++)
        {
            double sx = 0.3 + 0.6 * rng.NextDouble(), sy = 0.3 + 0.6 * rng.NextDouble(), sz = 0.3 + 0.9 * rng.NextDouble();
            double cx = (rng.NextDouble() * 2 - 1) * (l - 0.6), cy = (rng.NextDouble() * 2 - 1) * (w - 0.6);
            var o = new Vector3d(cx - sx / 2, cy - sy / 2, 0);
            var far = new Vector3d(cx + sx / 2, cy + sy / 2, sz);
            surfaces.Add(new(o + sz * z, x, y, sx, sy, rng.Next(labelCount)));                 // top
            surfaces.Add(new(o, x, z, sx, sz, rng.Next(labelCount)));                          // y = min face
            surfaces.Add(new(new(o.X, far.Y, 0), z, x, sz, sx, rng.Next(labelCount)));         // y = max face
            surfaces.Add(new(o, z, y, sz, sy, rng.Next(labelCount)));                          // x = min face
            surfaces.Add(new(new(far.X, o.Y, 0), y, z, sy, sz, rng.Next(labelCount)));         // x = max face
        }
        return surfaces;
    }
}
