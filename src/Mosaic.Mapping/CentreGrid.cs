using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;

namespace Mosaic.Mapping;

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
        var (cx, cy, cz) = Cell(q);
        int best = -1;
        double bestDistance = _radius * _radius;
        for (int dx = -1; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dz = -1; dz <= 1; dz++)
                {
                    if (!_cells.TryGetValue((cx + dx, cy + dy, cz + dz), out var members))
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

    private (int, int, int) Cell(Vector3d p) =>
        ((int)Math.Floor(p.X / _radius), (int)Math.Floor(p.Y / _radius), (int)Math.Floor(p.Z / _radius));
}
