using System.Globalization;
using System.Text;
using Mosaic.Core.Geometry;
using Mosaic.Core.Maps;
using Mosaic.Localization.Segmentation;
using Mosaic.Ros.Import;
using Mosaic.Ros.Tests;

namespace Mosaic.Mapping.Tests;

/// <summary>A small real build: 7-Scenes redkitchen frames 0-89, imported with the project's importer.</summary>
public sealed class RealDriveFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public string Bag { get; }
    public string Tum { get; }
    public BuildResult Result { get; }
    public string MapDirectoryPath { get; }

    public RealDriveFixture()
    {
        Bag = _temp.Combine("redkitchen");
        var import = SevenScenesImporter.Import(new SevenScenesImportOptions { Source = SharedData.Path("redkitchen"), Output = Bag, LastFrame = 89 });
        Tum = import.TumPath;
        Result = new MapBuilder(Options(Tum)).Build(Bag);
        MapDirectoryPath = _temp.Combine("map");
        MapDirectory.Save(Result.Map, MapDirectoryPath);
    }

    public static MappingOptions Options(string tum) => new()
    {
        Pose = { Source = "tum", TumFile = tum, BodyFrame = "" },
        Fusion = { VoxelSize = 0.04 },
        Segmenter = { Kind = LearnedSegmenter.TypeName, LabelCount = 8 },
    };

    public void Dispose() => _temp.Dispose();
}

[Trait("Category", "RealData")]
public sealed class RealDriveTests(RealDriveFixture drive) : IClassFixture<RealDriveFixture>
{
    [Fact]
    public void A_real_drive_builds_a_map_that_covers_its_keyframes()
    {
        var report = drive.Result.Report;
        Assert.Equal(90, report.ColorImages);
        Assert.Equal(90, report.Candidates);
        Assert.InRange(report.Keyframes, 5, 40);
        Assert.True(report.Gaussians > 5000, $"{report.Gaussians} Gaussians");
        Assert.True(report.SecondLabels > 0, "some Gaussians carry a second label");
        Assert.Equal(report.Fusion!.Gaussians - report.UnseenGaussians, report.Gaussians);
        Assert.True(report.KeyframeCoverage > 0.8, $"coverage {report.KeyframeCoverage:P1}");
        var map = MapDirectory.Load(drive.MapDirectoryPath);
        Assert.Equal(report.Gaussians, map.Gaussians.Count);
        Assert.Equal(report.SecondLabels, map.Gaussians.SecondLabelCount);
        Assert.Equal(report.Keyframes, map.Keyframes!.Keyframes.Count);
        Assert.True(map.Gaussians.Labels.Distinct().Count() >= 6, "the labels are used");
        Assert.Equal(drive.Result.Segmenter.Definition(), map.SegmenterDefinition);
    }

    [Fact]
    public void Building_twice_gives_the_same_map()
    {
        var again = new MapBuilder(RealDriveFixture.Options(drive.Tum)).Build(drive.Bag).Map.Gaussians;
        var first = drive.Result.Map.Gaussians;
        Assert.Equal(first.Positions, again.Positions);
        Assert.Equal(first.Labels, again.Labels);
    }

    [Fact]
    public void Held_out_frames_agree_with_the_map_and_its_depth()
    {
        var options = RealDriveFixture.Options(drive.Tum);
        var result = MapEvaluation.Run(drive.Result.Map, drive.Bag, options, step: 10, samples: 1);
        Assert.True(result.Frames >= 5);
        Assert.True(result.Labels.Agreement > 0.4, $"label agreement {result.Labels.Agreement:P1}");
        // The map's own labels at the surfaces the held-out depth measures: the poses and the depth of this
        // drive are consistent with its map (K = 8; measured: 97.1 % on 85 % of the pixels, the segmenter 92.5 %).
        var best = result.Labels.BestPossible!;
        Assert.True(best.Share > 0.7 && best.Agreement > 0.9 && best.Agreement > best.SegmenterAgreement, $"{best}");
        Assert.True(result.MedianDepthError < 0.05, $"median depth error {result.MedianDepthError:F3} m");
        // Painting labels with colours never beats storing the colours themselves.
        Assert.True(result.TrueColorMap.Psnr > result.LabelMeanColor.Psnr);
    }

    /// <summary>Privacy: every file of the map parsed; nothing in it is colour or image data.</summary>
    [Fact]
    public void The_map_files_hold_no_colour_or_feature_data()
    {
        var files = Directory.GetFiles(drive.MapDirectoryPath).Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["build_report.yaml", "gaussians.ply", "keyframes.bin", "map.yaml", "segmenter.yaml"], files);

        var ply = File.ReadAllBytes(Path.Combine(drive.MapDirectoryPath, "gaussians.ply"));
        string header = Encoding.ASCII.GetString(ply, 0, Encoding.ASCII.GetString(ply).IndexOf("end_header\n", StringComparison.Ordinal));
        var properties = header.Split('\n').Where(l => l.StartsWith("property ")).Select(l => l.Split(' ')[^1]).ToArray();
        // Geometry, the label, and the second label with the first label's share (DESIGN.md §5's top-k storage, k = 2).
        Assert.Equal(["x", "y", "z", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3", "opacity", "label", "label_1", "prob_0"], properties);
        int vertices = drive.Result.Map.Gaussians.Count;
        Assert.Equal(header.Length + "end_header\n".Length + vertices * (11 * 4 + 2 + 2 + 4), ply.Length);

        // keyframes.bin: poses and descriptors of label images rendered from the map, nothing else.
        using (var file = File.OpenRead(Path.Combine(drive.MapDirectoryPath, KeyframeDatabase.FileName)))
        {
            var database = KeyframeDatabase.Read(file, "keyframes.bin");
            Assert.Equal(file.Length, 60 + database.Keyframes.Count * (8 + 56 + 4L * database.DescriptorLength));
        }

        // segmenter.yaml: the feature standardisation and the head's weights (14 → 32 → 8); no image-sized data.
        string definition = File.ReadAllText(Path.Combine(drive.MapDirectoryPath, "segmenter.yaml"));
        var segmenter = Assert.IsType<LearnedSegmenter>(Segmenters.Load(definition, "segmenter.yaml"));
        Assert.Equal((8, 32, 14), (segmenter.LabelCount, segmenter.HiddenCount, segmenter.FeatureCount));
        int numbers = definition.Split('\n').Where(l => l.StartsWith("  - [", StringComparison.Ordinal)).Sum(l => l.Split(',').Length);
        Assert.Equal(LabelHead<float>.ParameterCount(14, 32, 8), numbers);

        foreach (var text in new[] { "map.yaml", "build_report.yaml", "segmenter.yaml" }.Select(f => File.ReadAllText(Path.Combine(drive.MapDirectoryPath, f))))
        {
            Assert.DoesNotContain("f_dc", text);
            Assert.DoesNotContain("red:", text);
            Assert.True(text.Length < 16 * 1024, "text files stay small: no embedded data");
        }
    }

    [Fact]
    public void The_drives_own_poses_pass_the_depth_check_and_a_planted_offset_is_measured_back()
    {
        var own = PoseCheck.Run(drive.Result.Map.Gaussians, drive.Bag, RealDriveFixture.Options(drive.Tum), step: 10);
        Assert.Equal(9, own.Count);
        Assert.True(own.Count(f => f.Trusted) >= 7, $"{own.Count(f => f.Trusted)} of 9 frames trusted");
        Assert.All(own.Where(f => f.Trusted), f => Assert.True(f.Offset.Translation.Norm < 0.01 && f.Offset.Rotation.Angle < 0.5 * Math.PI / 180,
            $"frame {f.Stamp}: the map's own poses are {f.Offset.Translation.Norm * 100:F2} cm, {f.Offset.Rotation.Angle * 180 / Math.PI:F2} deg off its surfaces"));

        // The same drive with every pose moved 2 cm and turned 0.6 degrees in the camera's own axes.
        var planted = Se3.Exp(new Tangent(new Vector3d(0.015, -0.01, 0.01), new Vector3d(0.006, -0.006, 0.004)));
        string moved = Path.Combine(Path.GetDirectoryName(drive.Tum)!, "moved.tum");
        var poses = File.ReadLines(drive.Tum).Where(l => !l.StartsWith('#')).Select(l => l.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .Select(v => ((long)Math.Round(v[0] * 1e9), Se3.FromQuaternion(new Quaterniond(v[7], v[4], v[5], v[6]), new Vector3d(v[1], v[2], v[3])) * planted));
        File.WriteAllText(moved, TumTrajectory.Format(poses, "moved"));

        var check = PoseCheck.Run(drive.Result.Map.Gaussians, drive.Bag, RealDriveFixture.Options(moved), step: 10);
        Assert.True(check.Count(f => f.Trusted) >= 7);
        foreach (var (f, before) in check.Zip(own).Where(p => p.First.Trusted && p.Second.Trusted))
        {
            // The depth finds the same place from the moved pose as from the drive's own ...
            var (t, r) = Se3.Distance(f.Alignment.MapFromCamera, before.Alignment.MapFromCamera);
            Assert.True(t < 0.002 && r < 0.05 * Math.PI / 180, $"frame {f.Stamp}: aligned {t * 1000:F1} mm, {r * 180 / Math.PI:F3} deg away from where the own pose aligned");
            // ... so the offset it reports is the planted one, up to the map's own precision.
            var (tp, rp) = Se3.Distance(planted.Inverse(), f.Offset);
            Assert.True(tp < 0.01 && rp < 0.5 * Math.PI / 180, $"frame {f.Stamp}: offset {tp * 1000:F1} mm, {rp * 180 / Math.PI:F2} deg from the planted one");
        }
    }

    [Fact]
    public void A_missing_depth_topic_is_named()
    {
        var options = RealDriveFixture.Options(drive.Tum);
        options.Topics.DepthImage = "/camera/aligned_depth_to_color/image_raw";
        var e = Assert.Throws<MappingInputException>(() => new MapBuilder(options).Build(drive.Bag));
        Assert.Contains("no depth image topic '/camera/aligned_depth_to_color/image_raw' (topics.depth_image)", e.Message);
        // Suggests the bag's image topics, and only those.
        Assert.Contains("/camera/depth/image_raw/compressedDepth (sensor_msgs/CompressedImage)", e.Message);
        Assert.DoesNotContain("/tf_static", e.Message);
    }

    [Fact]
    public void A_window_without_images_says_where_the_images_are_and_a_single_keyframe_fuses_nothing()
    {
        var options = RealDriveFixture.Options(drive.Tum);
        options.Sync.Start = 100;
        var e = Assert.Throws<MappingInputException>(() => BagFrameSource.Scan(drive.Bag, options));
        Assert.Contains("no colour image between sync.start 100 s and sync.end (the end); its images lie at 0-", e.Message);

        var first = RealDriveFixture.Options(drive.Tum);
        first.Sync.End = 0.05; // frame 0 alone: every voxel is seen by fewer than fusion.min_views keyframes
        e = Assert.Throws<MappingInputException>(() => new MapBuilder(first).Build(drive.Bag));
        Assert.Contains("from 1 keyframe;", e.Message);
        Assert.EndsWith("fusion.min_views, 2)", e.Message);
    }

    [Fact]
    public void A_keyframe_whose_image_is_corrupt_is_left_out_and_reported_and_the_map_is_still_built()
    {
        // The first colour image is a keyframe: the selection starts there.
        long first = BagFrameSource.Scan(drive.Bag, RealDriveFixture.Options(drive.Tum)).Candidates[0].ColorStamp;
        string bag = WithDamagedColorImages("corrupt", stamp => stamp == first);

        var report = new MapBuilder(RealDriveFixture.Options(drive.Tum)).Build(bag).Report;

        Assert.Equal(1, report.UndecodableKeyframes);
        Assert.Equal(drive.Result.Report.Keyframes - 1, report.Keyframes);
        Assert.Contains(report.Warnings, w => w.StartsWith("keyframe at ", StringComparison.Ordinal) && w.Contains("colour image undecodable: compressed image with format 'jpeg' is neither JPEG nor PNG"));
        Assert.Contains("undecodable_keyframes: 1", report.ToYaml());
        Assert.True(report.Gaussians > 5000, $"{report.Gaussians} Gaussians");
    }

    [Fact]
    public void The_checks_leave_out_a_frame_whose_image_is_corrupt_and_say_so_and_fail_when_none_decodes()
    {
        var options = RealDriveFixture.Options(drive.Tum);
        var candidates = BagFrameSource.Scan(drive.Bag, options).Candidates;
        var keyStamps = drive.Result.Map.Keyframes!.Keyframes.Select(f => f.Stamp).ToHashSet();
        // Two frames that are not keyframes: one that the pose check measures (every 10th frame), one that the label
        // agreement and the map evaluation measure (every 10th frame that is not a keyframe).
        var checkedByPoses = candidates.Where((_, i) => i % 10 == 0).Select(c => c.ColorStamp).ToList();
        var checkedByLabels = candidates.Where(c => !keyStamps.Contains(c.ColorStamp)).Where((_, i) => i % 10 == 0).Select(c => c.ColorStamp).ToList();
        long poseFrame = checkedByPoses.First(s => !keyStamps.Contains(s) && !checkedByLabels.Contains(s));
        long labelFrame = checkedByLabels.First(s => !checkedByPoses.Contains(s));
        string bag = WithDamagedColorImages("two-corrupt", stamp => stamp == poseFrame || stamp == labelFrame);
        string LeftOut(long stamp) => string.Create(CultureInfo.InvariantCulture, $"frame at {stamp * 1e-9:F3} s left out: colour image undecodable: ");

        var warnings = new List<string>();
        var poses = PoseCheck.Run(drive.Result.Map.Gaussians, bag, options, step: 10, warning: warnings.Add);
        Assert.Equal(8, poses.Count);
        Assert.DoesNotContain(poses, f => f.Stamp == poseFrame);
        Assert.StartsWith(LeftOut(poseFrame), Assert.Single(warnings), StringComparison.Ordinal);

        warnings.Clear();
        var agreement = LabelAgreement.Measure(drive.Result.Map, bag, options, step: 10, warning: warnings.Add);
        Assert.Equal(checkedByLabels.Count - 1, agreement.Frames);
        Assert.DoesNotContain(agreement.PerFrame, f => f.Stamp == labelFrame);
        Assert.StartsWith(LeftOut(labelFrame), Assert.Single(warnings), StringComparison.Ordinal);

        warnings.Clear();
        var evaluation = MapEvaluation.Run(drive.Result.Map, bag, options, step: 10, samples: 1, warning: warnings.Add);
        Assert.Equal(checkedByLabels.Count - 1, evaluation.Frames);
        Assert.Equal(keyStamps.Count, evaluation.MappingFrames);
        Assert.StartsWith(LeftOut(labelFrame), Assert.Single(warnings), StringComparison.Ordinal);

        // Nothing decodable: an error that says why, not an empty result.
        string ruined = WithDamagedColorImages("all-corrupt", _ => true);
        var none = Assert.Throws<MappingInputException>(() => PoseCheck.Run(drive.Result.Map.Gaussians, ruined, options, step: 10));
        Assert.Contains("none of the 9 frames' images could be decoded (frame at ", none.Message);
        Assert.Contains("could be decoded (frame at ", Assert.Throws<MappingInputException>(() => LabelAgreement.Measure(drive.Result.Map, ruined, options, step: 10)).Message);
        Assert.Contains("none of the map's", Assert.Throws<MappingInputException>(() => MapEvaluation.Run(drive.Result.Map, ruined, options, step: 10, samples: 1)).Message);
    }

    /// <summary>
    /// The drive re-recorded into a sibling directory <paramref name="name"/> with the colour images whose
    /// header stamp (ns) <paramref name="damage"/> selects replaced by four bytes that are no image.
    /// </summary>
    private string WithDamagedColorImages(string name, Func<long, bool> damage)
    {
        string bag = Path.Combine(Path.GetDirectoryName(drive.Bag)!, name);
        using var source = Ros.Bags.Rosbag2Reader.Open(drive.Bag);
        using var writer = Ros.Bags.Rosbag2Writer.Create(bag);
        var declared = new HashSet<string>();
        foreach (var message in source.ReadMessages())
        {
            if (declared.Add(message.Topic.Name))
                writer.AddTopic(message.Topic, Ros.Messages.MessageRegistry.FindDefinition(message.Topic.Type)!.FullText());
            var data = message.Data;
            if (message.Topic.Name == SevenScenesImporter.Topics.ColorImage)
            {
                var image = Ros.Bags.Rosbag2Reader.Decode<Ros.Messages.CompressedImage>(message);
                if (damage(image.Header.Stamp.Nanoseconds))
                    data = Ros.Messages.RosSerializer.Serialize(image with { Data = [1, 2, 3, 4] });
            }
            writer.Write(message.Topic.Name, message.Timestamp, data.Span);
        }
        return bag;
    }

    [Fact]
    public void One_camera_info_may_serve_both_cameras()
    {
        // As with depth registered to the colour image, where a driver publishes one camera_info for both.
        var options = RealDriveFixture.Options(drive.Tum);
        options.Topics.DepthInfo = options.Topics.ColorInfo;
        var source = BagFrameSource.Scan(drive.Bag, options);
        Assert.Equal(source.ColorCamera.Intrinsics, source.DepthCamera.Intrinsics);
        Assert.Equal(90, source.Candidates.Count);
        Assert.Empty(source.Warnings);
    }

    [Fact]
    public void Frames_without_a_pose_are_skipped_and_counted_and_no_pose_at_all_is_an_error()
    {
        string partial = Path.Combine(Path.GetDirectoryName(drive.Tum)!, "first-half.tum");
        File.WriteAllLines(partial, File.ReadLines(drive.Tum).Take(1 + 45));
        var options = RealDriveFixture.Options(partial);
        options.Pose.Tolerance = 0.01; // less than a frame interval: frame 45 may not borrow frame 44's pose
        var result = new MapBuilder(options).Build(drive.Bag);
        Assert.Equal(90 - 45, result.Report.SkippedWithoutPose);

        string none = Path.Combine(Path.GetDirectoryName(drive.Tum)!, "elsewhere.tum");
        File.WriteAllText(none, "100.0 0 0 0 0 0 0 1\n100.1 0 0 0 0 0 0 1\n");
        var e = Assert.Throws<MappingInputException>(() => new MapBuilder(RealDriveFixture.Options(none)).Build(drive.Bag));
        Assert.Contains("90 without a pose", e.Message);
    }

    [Fact]
    public void Pose_from_the_ground_truth_topic_gives_the_same_keyframes_as_the_tum_file()
    {
        var options = RealDriveFixture.Options(drive.Tum);
        options.Pose.Source = "topic";
        options.Pose.Topic = SevenScenesImporter.Topics.GroundTruth;
        options.Pose.BodyFrame = SevenScenesImporter.Frames.BaseLink;
        var source = BagFrameSource.Scan(drive.Bag, options);
        var reference = BagFrameSource.Scan(drive.Bag, RealDriveFixture.Options(drive.Tum));
        Assert.Equal(reference.Candidates.Count, source.Candidates.Count);
        for (int i = 0; i < source.Candidates.Count; i++)
        {
            var (dt, dr) = Core.Geometry.Se3.Distance(reference.Candidates[i].MapFromColor, source.Candidates[i].MapFromColor);
            Assert.True(dt < 1e-6 && dr < 1e-6, $"frame {i}: {dt} m, {dr} rad");
        }
    }
}
