using Mosaic.Ros.Bags;
using Mosaic.Ros.Import;
using Mosaic.Ros.Messages;
using Mosaic.Ros.Tf;
using static Mosaic.Ros.Import.SevenScenesImporter;

namespace Mosaic.Ros.Tests;

public class SevenScenesImportTests
{
    [Theory]
    [InlineData("mcap")]
    [InlineData("sqlite3")]
    public void Import_keeps_original_image_bytes_and_consistent_frames(string storage)
    {
        using var temp = new TempDirectory();
        string bag = temp.Combine("kitchen");
        var result = SevenScenesImporter.Import(new SevenScenesImportOptions
        {
            Source = SharedData.Path("redkitchen"), Output = bag, FirstFrame = 100, LastFrame = 120, Step = 10, Storage = storage,
        });
        Assert.Equal(3, result.Frames);
        using var reader = Rosbag2Reader.Open(bag);
        var messages = reader.ReadMessages().ToList();
        var color = messages.Where(m => m.Topic.Name == Topics.ColorImage).Select(Rosbag2Reader.Decode<CompressedImage>).ToList();
        Assert.Equal(File.ReadAllBytes(SharedData.Path("redkitchen", "frames", "frame-000110.color.jpg")), color[1].Data);

        var tf = new TfBuffer();
        foreach (var m in messages.Where(m => m.Topic.Name is Topics.Tf or Topics.TfStatic))
        {
            tf.Add(Rosbag2Reader.Decode<TFMessage>(m), m.Topic.Name == Topics.TfStatic);
        }
        var dslam = ReadDslamPoses(SharedData.Path("redkitchen", "rgb-poses-dslam.txt"));
        long t = color[1].Header.Stamp.Nanoseconds;
        // odom == map here, so odom -> colour optical must equal the dSLAM colour pose of frame 110.
        var odomFromColor = tf.Lookup(Frames.Odom, Frames.ColorOptical, t);
        Assert.Equal(dslam[110].Translation.X, odomFromColor.Translation.X, 9);
        Assert.Equal(dslam[110].Translation.Z, odomFromColor.Translation.Z, 9);
        // The depth camera is d_to_rgb from the colour camera: its origin is d_to_rgb's translation.
        var colorFromDepth = tf.Lookup(Frames.ColorOptical, Frames.DepthOptical, t);
        Assert.Equal(DepthToColor[3], colorFromDepth.Translation.X, 12);
        Assert.Equal(3 + 1, File.ReadAllLines(result.TumPath).Length);
    }
}
