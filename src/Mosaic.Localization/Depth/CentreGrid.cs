using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;

namespace Mosaic.Localization.Depth;

/// <summary>
/// The Gaussians' centres binned into cubes as wide as the search radius, so that the nearest centre
/// to a point is found among the 27 cubes around it. Plain data structure: no I/O.
/// </summary>
public sealed class CentreGrid
{
    private readonly Vector3d[] _centres;
    private readonly Dictionary<(int, int, int), int[]> _cells;
    private readonly double _radius;

    /// <summary>Indexes <paramref name="map"/>'s centres for nearest-centre searches within <paramref name="radius"/> metres.</summary>
    public CentreGrid(GaussianMap map, double radius)
    {
        if (!(radius > 0) || !double.IsFinite(radius))
            throw new ArgumentOutOfRangeException(nameof(radius), $"search radius {radius} must be positive");
        _radius = radius;
        _centres = new Vector3d[map.Count];
        var cells = new Dictionary<(int, int, int), List<int>>();
        for (int i = 0; i < map.Count; i++)
        {
            _centres[i] = new Vector3d(map.Positions[3 * i], map.Positions[3 * i + 1], map.Positions[3 * i + 2]);
            var cell = Cell(_centres[i]);
            if (!cells.TryGetValue(cell, out var list))
                cells[cell] = list = [];
            list.Add(i);
        }
        _cells = cells.ToDictionary(c => c.Key, c => c.Value.ToArray());
    }

    /// <summary>Centre of Gaussian <paramref name="index"/>.</summary>
    public Vector3d Centre(int index) => _centres[index];

    /// <summary>The index of the Gaussian whose centre is nearest to <paramref name="q"/> within the radius, or −1.</summary>
    public int Nearest(Vector3d q)
    {
        // The ball of the search radius around q reaches 2 cubes along each axis, not 3: the cube holding
        // q and the neighbour on the side q is nearer to. Searching those 8 instead of 27 finds the same centre.
        var (x0, x1) = CubesReached(q.X);
        var (y0, y1) = CubesReached(q.Y);
        var (z0, z1) = CubesReached(q.Z);
        int best = -1;
        double bestDistance = _radius * _radius;
        for (int cx = x0; cx <= x1; cx++)
            for (int cy = y0; cy <= y1; cy++)
                for (int cz = z0; cz <= z1; cz++)
                {
                    if (!_cells.TryGetValue((cx, cy, cz), out var members))
                        continue;
                    foreach (int i in members)
                    {
                        double d = (_centres[i] - q).SquaredNorm;
                        if (d < bestDistance)
                            (bestDistance, best) = (d, i);
                    }
                }
        return best;
    }

    /// <summary>The cubes along one axis that the ball around coordinate <paramref name="v"/> reaches.</summary>
    private (int First, int Last) CubesReached(double v) => ((int)Math.Floor((v - _radius) / _radius), (int)Math.Floor((v + _radius) / _radius));

    private (int, int, int) Cell(Vector3d p) =>
        ((int)Math.Floor(p.X / _radius), (int)Math.Floor(p.Y / _radius), (int)Math.Floor(p.Z / _radius));
}
