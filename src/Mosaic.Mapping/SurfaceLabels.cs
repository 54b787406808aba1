using Mosaic.Core.Cameras;
using Mosaic.Core.Geometry;
using Mosaic.Core.Imaging;
using Mosaic.Core.Maps;
using Mosaic.Localization.Depth;

namespace Mosaic.Mapping;

/// <summary>
/// The map's own labels at the surfaces a depth image measures: per pixel, the label of the Gaussian
/// nearest to the point its depth reading places in the map. These are the labels a segmenter would give
/// if it labelled every surface exactly as the map does, from any view; compared with the map rendered
/// at the same pose they show how much agreement the map, the depth and the pose allow at all.
/// </summary>
public static class SurfaceLabels
{
    /// <summary>
    /// Labels of <paramref name="labels"/> (one per Gaussian of <paramref name="grid"/>) at the points of
    /// <paramref name="depth"/> (z in metres per pixel of <paramref name="camera"/>, NaN where none) seen
    /// from <paramref name="mapFromCamera"/>; <see cref="Labels.Ignore"/> where there is no reading or no
    /// Gaussian within the grid's radius.
    /// </summary>
    public static Image<ushort> Lookup(CentreGrid grid, ushort[] labels, float[] depth, PinholeCamera camera, Se3 mapFromCamera)
    {
        if (depth.Length != camera.Width * camera.Height)
            throw new ArgumentException($"depth has {depth.Length} pixels but the camera {camera.Width}x{camera.Height}");
        var result = new Image<ushort>(camera.Width, camera.Height);
        Parallel.For(0, camera.Height, y =>
        {
            for (int x = 0; x < camera.Width; x++)
            {
                int p = y * camera.Width + x;
                float z = depth[p];
                int nearest = z > 0 ? grid.Nearest(mapFromCamera.Apply(camera.Unproject(x, y) * z)) : -1;
                result.Data[p] = nearest < 0 ? Labels.Ignore : labels[nearest];
            }
        });
        return result;
    }
}
