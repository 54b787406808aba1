using Mosaic.Core.Imaging;
using Mosaic.Localization.Retrieval;
using Mosaic.Localization.Segmentation;
using Mosaic.Ros.Images;
using Mosaic.Ros.Tests;

namespace Mosaic.Localization.Tests;

public class SegmenterTests
{
    private static RgbImage Frame(int index)
    {
        var color = Jpeg.Decode(File.ReadAllBytes(SharedData.Path("redkitchen", "frames", $"frame-{index:D6}.color.jpg")));
        return new RgbImage(color.Width, color.Height, color.Rgb);
    }

    private static readonly Lazy<ColorCodebookSegmenter> Fitted = new(() =>
        ColorCodebookSegmenter.Fit([Frame(0), Frame(100), Frame(200)], new CodebookOptions { LabelCount = 8, SamplesPerImage = 500, Seed = 3 }));

    private static double Agreement(Image<ushort> a, Image<ushort> b) =>
        a.Data.Zip(b.Data).Count(p => p.First == p.Second) / (double)a.Data.Length;

    [Fact]
    public void Fitting_is_deterministic_for_a_seed_and_labels_are_at_the_working_level()
    {
        var again = ColorCodebookSegmenter.Fit([Frame(0), Frame(100), Frame(200)], new CodebookOptions { LabelCount = 8, SamplesPerImage = 500, Seed = 3 });
        Assert.Equal(Fitted.Value.Centroids, again.Centroids);
        var labels = Fitted.Value.Segment(Frame(50));
        Assert.Equal((320, 240), (labels.Width, labels.Height));
        Assert.All(labels.Data, l => Assert.True(l < 8));
        Assert.True(labels.Data.Distinct().Count() >= 6, "a real kitchen image uses most of the codebook");
    }

    [Fact]
    public void The_definition_round_trips_to_a_segmenter_that_gives_the_same_labels()
    {
        string definition = Fitted.Value.Definition();
        var loaded = Segmenters.Load(definition, "segmenter.yaml");
        Assert.Equal(Fitted.Value.Segment(Frame(300)).Data, loaded.Segment(Frame(300)).Data);
        Assert.DoesNotContain("frame", definition);
    }

    [Fact]
    public void Global_gain_and_white_balance_changes_barely_move_the_labels()
    {
        var image = Frame(300);
        var shifted = (byte[])image.Rgb.Clone();
        double[] gain = [0.8, 0.7, 0.9]; // darker and warmer: what auto exposure and white balance do
        for (int i = 0; i < shifted.Length; i++)
            shifted[i] = (byte)Math.Min(255, Math.Round(shifted[i] * gain[i % 3]));
        double agreement = Agreement(Fitted.Value.Segment(image), Fitted.Value.Segment(new RgbImage(image.Width, image.Height, shifted)));
        Assert.True(agreement > 0.85, $"agreement {agreement:P1}");
    }

    [Theory]
    [InlineData("type: color_codebook\nversion: 2\n", "version")]
    [InlineData("type: neural\n", "unknown segmenter type")]
    [InlineData("label_count: 3\n", "no 'type:' line")]
    public void Bad_definitions_are_rejected_naming_the_file(string definition, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Segmenters.Load(definition, "maps/a/segmenter.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("maps/a/segmenter.yaml", e.Message);
    }

    [Fact]
    public void A_codebook_with_a_missing_centroid_is_rejected()
    {
        string definition = Fitted.Value.Definition();
        int last = definition.TrimEnd().LastIndexOf('\n');
        var e = Assert.Throws<FormatException>(() => Segmenters.Load(definition[..last] + "\n", "segmenter.yaml"));
        Assert.Contains("centroids", e.Message);
    }

    [Fact]
    public void Global_descriptors_are_unit_vectors_that_tell_views_apart()
    {
        var segmenter = Fitted.Value;
        var a = GlobalDescriptor.Compute(segmenter.Segment(Frame(300)), 8);
        var near = GlobalDescriptor.Compute(segmenter.Segment(Frame(302)), 8);
        var far = GlobalDescriptor.Compute(segmenter.Segment(Frame(500)), 8);
        Assert.Equal(GlobalDescriptor.Length(8), a.Length);
        Assert.Equal(1, GlobalDescriptor.Similarity(a, a), 5);
        Assert.True(GlobalDescriptor.Similarity(a, near) > GlobalDescriptor.Similarity(a, far),
            $"near {GlobalDescriptor.Similarity(a, near):F3} vs far {GlobalDescriptor.Similarity(a, far):F3}");
    }
}
