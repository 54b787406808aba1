using Mosaic.Localization.Segmentation;
using Mosaic.Ros.Tests;

namespace Mosaic.Mapping.Tests;

/// <summary>
/// Maps of the committed redkitchen sample's mapping part (frames 0-295, every 5th; tests/data/README.md),
/// one per segmenter kind, with config/mapping.yaml's other settings and K = 32, and their label agreement
/// on the query part (frames 300-595, every 10th).
/// </summary>
public sealed class SampleSegmenters
{
    public const double QueryStart = 10;

    public BuildResult Learned { get; }
    public BuildResult Codebook { get; }
    public LabelAgreementResult LearnedAgreement { get; }
    public LabelAgreementResult CodebookAgreement { get; }

    public SampleSegmenters()
    {
        string bag = System.IO.Path.Combine(SharedData.RepositoryRoot, "tests", "data", "redkitchen-sample");
        MappingOptions Options(string kind)
        {
            var options = MappingOptions.Load([System.IO.Path.Combine(SharedData.RepositoryRoot, "config", "mapping.yaml")], []);
            options.Pose.Source = "tum";
            options.Pose.TumFile = bag + ".tum";
            options.Pose.BodyFrame = "";
            options.Segmenter.Kind = kind;
            options.Segmenter.LabelCount = 32;
            options.Sync.End = QueryStart - 0.01;
            return options;
        }
        MappingOptions Queries(MappingOptions options)
        {
            options.Sync.Start = QueryStart;
            options.Sync.End = -1;
            return options;
        }
        Learned = new MapBuilder(Options(LearnedSegmenter.TypeName)).Build(bag);
        Codebook = new MapBuilder(Options(ColorCodebookSegmenter.TypeName)).Build(bag);
        LearnedAgreement = LabelAgreement.Measure(Learned.Map, bag, Queries(Options(LearnedSegmenter.TypeName)), step: 2);
        CodebookAgreement = LabelAgreement.Measure(Codebook.Map, bag, Queries(Options(ColorCodebookSegmenter.TypeName)), step: 2);
    }
}

[Trait("Category", "RealData")]
public sealed class LearnedSegmenterRealDataTests(SampleSegmenters sample) : IClassFixture<SampleSegmenters>
{
    [Fact]
    public void The_learned_segmenter_labels_held_out_views_like_the_map_more_often_than_the_colour_codebook_with_as_many_labels()
    {
        var learned = sample.LearnedAgreement;
        var codebook = sample.CodebookAgreement;
        string measured = $"learned {learned.Agreement:P1}, kappa {learned.Kappa:F3}, {learned.EffectiveLabels:F1} labels; " +
            $"codebook {codebook.Agreement:P1}, kappa {codebook.Kappa:F3}, {codebook.EffectiveLabels:F1} labels";
        Assert.Equal(30, learned.Frames);
        // Measured on this sample: 54.7 % against 47.8 %, kappa 0.523 against 0.432 (63.7 % and kappa 0.616
        // with context taps at 8 px, and 57.8 % and 0.555 with the 12 cm correspondence voxels used until
        // 2026-11-30; both localized worse: README, learned segmenter).
        Assert.True(learned.Agreement >= codebook.Agreement + 0.05, measured);
        // Chance-corrected, so using fewer labels cannot explain the gain.
        Assert.True(learned.Kappa >= codebook.Kappa + 0.08, measured);
        // The balanced training holds at query time (22.0 labels; 8 with too few Sinkhorn rounds), which is
        // what pins poses: the README's seed table.
        Assert.True(learned.EffectiveLabels >= 16, measured);
    }

    [Fact]
    public void The_map_and_the_ground_truth_allow_far_more_agreement_than_either_segmenter_reaches()
    {
        var learned = sample.LearnedAgreement.BestPossible!;
        var codebook = sample.CodebookAgreement.BestPossible!;
        string measured = $"learned {learned}; codebook {codebook}";
        // Measured on this sample: where the query's depth lands on the map (79 % of the compared pixels),
        // the map's own labels there agree with the render on 88.5 % (codebook map 81.9 %), the segmenters
        // on 55.8 % and 49.4 % (91.3 and 65.9 % with context taps at 8 px). So the segmenter's view
        // consistency, not the map or the dSLAM poses, is what holds agreement down (README, "How much
        // agreement the map allows"). With one label per Gaussian the map allowed 89.2 % and 82.8 %: a
        // surface's label is its first, and where a Gaussian's second label is strong the render's hard
        // label is sometimes that one.
        Assert.True(learned.Share > 0.7, measured);
        Assert.True(learned.Agreement > 0.85 && codebook.Agreement > 0.78, measured);
        Assert.True(learned.SegmenterAgreement < learned.Agreement - 0.2, measured);
        Assert.True(codebook.SegmenterAgreement < codebook.Agreement - 0.2, measured);
    }

    [Fact]
    public void Training_makes_views_of_one_surface_agree_and_is_reported()
    {
        var training = sample.Learned.Report.Training!;
        Assert.False(training.StoppedByBudget);
        Assert.Equal(sample.Learned.Report.Keyframes, training.Views);
        Assert.True(training.Voxels > 1000, $"{training.Voxels} voxels seen twice");
        string rounds = string.Join(", ", training.Rounds.Select(r => $"{r.ViewConsistency:P1} ({r.LabelsUsed} labels)"));
        // The first round's targets are k-means clusters, unbalanced; from the first balanced round on,
        // every label is in use and training raises the agreement between views of one surface.
        Assert.True(training.Rounds.Skip(1).All(r => r.LabelsUsed >= 30), rounds);
        Assert.True(training.Rounds[^1].ViewConsistency > training.Rounds[1].ViewConsistency + 0.03, rounds);
        Assert.Contains("segmenter_training:", sample.Learned.Report.ToYaml());
        Assert.Null(sample.Codebook.Report.Training);
    }

    [Fact]
    public void The_map_carries_the_learned_segmenter_and_the_localizer_loads_it()
    {
        var loaded = Assert.IsType<LearnedSegmenter>(Segmenters.Load(sample.Learned.Map.SegmenterDefinition!, "segmenter.yaml"));
        Assert.Equal(32, loaded.LabelCount);
        Assert.Equal(sample.Learned.Segmenter.Definition(), loaded.Definition());
        var localizer = Localization.Localizer.ForMap(sample.Learned.Map);
        Assert.IsType<LearnedSegmenter>(localizer.Segmenter);
    }
}
