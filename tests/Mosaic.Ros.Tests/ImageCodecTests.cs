using Mosaic.Ros.Images;
using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Tests;

public class ImageCodecTests
{
    private static readonly string Frames = SharedData.Path("redkitchen", "frames");
    private static readonly Header Header = new(new RosTime(1, 0), "cam");

    [Fact]
    public void Real_7scenes_depth_png_decodes_to_millimetres_in_the_sensor_range()
    {
        var png = Png.Decode(File.ReadAllBytes(Path.Combine(Frames, "frame-000000.depth.png")));
        Assert.Equal((640, 480, 1, 16), (png.Width, png.Height, png.Channels, png.BitDepth));
        var valid = Enumerable.Range(0, 640 * 480).Select(i => png.Sample16(i % 640, i / 640, 0)).Where(v => v != 0 && v != 65535).ToList();
        Assert.True(valid.Count > 640 * 480 / 2);
        Assert.InRange(valid.Min(), 400, 1500);
        Assert.InRange(valid.Max(), 2000, 8000);
    }

    [Fact]
    public void Png_encode_then_decode_is_lossless_on_real_depth()
    {
        var png = Png.Decode(File.ReadAllBytes(Path.Combine(Frames, "frame-000100.depth.png")));
        var values = Enumerable.Range(0, 640 * 480).Select(i => png.Sample16(i % 640, i / 640, 0)).ToArray();
        var again = Png.Decode(Png.EncodeGray16(640, 480, values));
        Assert.Equal(png.Samples, again.Samples);
    }

    [Fact]
    public void CompressedDepth_png_and_rvl_give_the_same_metres_as_the_original_png()
    {
        byte[] file = File.ReadAllBytes(Path.Combine(Frames, "frame-000200.depth.png"));
        var png = Png.Decode(file);
        var values = Enumerable.Range(0, 640 * 480).Select(i => png.Sample16(i % 640, i / 640, 0)).ToArray();
        var fromPng = ImageCodecs.DecodeDepth(ImageCodecs.CompressedDepthFromPng(Header, file));
        var rvlData = new byte[12 + 0].Concat(Rvl.Encode(640, 480, values)).ToArray();
        var fromRvl = ImageCodecs.DecodeDepth(new CompressedImage(Header, "16UC1; compressedDepth rvl", rvlData));
        for (int i = 0; i < values.Length; i += 97)
        {
            float expected = values[i] == 0 ? float.NaN : values[i] * 0.001f;
            Assert.Equal(expected, fromPng.Metres[i]);
            Assert.Equal(expected, fromRvl.Metres[i]);
        }
    }

    [Fact]
    public void CompressedDepth_32FC1_inverts_the_inverse_depth_quantization()
    {
        // depth = a / (v - b): with a = 1000, b = 0 a value of 500 is 2 m and 0 is invalid.
        var header = new byte[12];
        BitConverter.TryWriteBytes(header.AsSpan(4), 1000f);
        var payload = Png.EncodeGray16(2, 1, [500, 0]);
        var depth = ImageCodecs.DecodeDepth(new CompressedImage(Header, "32FC1; compressedDepth png", header.Concat(payload).ToArray()));
        Assert.Equal(2f, depth.Metres[0]);
        Assert.True(float.IsNaN(depth.Metres[1]));
    }

    [Fact]
    public void Real_7scenes_jpeg_decodes_and_survives_an_encode_round_trip()
    {
        var image = Jpeg.Decode(File.ReadAllBytes(Path.Combine(Frames, "frame-000000.color.jpg")));
        Assert.Equal((640, 480), (image.Width, image.Height));
        double mean = image.Rgb.Average(b => (double)b);
        Assert.InRange(mean, 30, 220);
        var again = Jpeg.Decode(Jpeg.Encode(image, 95));
        double meanAbsolute = image.Rgb.Zip(again.Rgb, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbsolute < 3, $"mean absolute difference {meanAbsolute}");
    }

    [Theory]
    [InlineData("bayer_rggb8", "rggb")]
    [InlineData("bayer_bggr8", "bggr")]
    [InlineData("bayer_gbrg8", "gbrg")]
    [InlineData("bayer_grbg8", "grbg")]
    [InlineData("bayer_rggb16", "rggb")]
    public void A_bayer_mosaic_of_linear_colours_demosaics_exactly_away_from_the_border(string encoding, string pattern)
    {
        // Exact ground truth: channels that change linearly are what bilinear demosaicing reconstructs exactly.
        const int width = 16, height = 12;
        int Truth(int x, int y, int channel) => channel switch { 0 => 10 + 8 * x, 1 => 20 + 9 * y, _ => 5 + 4 * x + 6 * y };
        bool wide = encoding.EndsWith("16", StringComparison.Ordinal);
        int bytes = wide ? 2 : 1;
        var data = new byte[width * height * bytes];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int channel = "rgb".IndexOf(pattern[(y & 1) * 2 + (x & 1)]);
                // 16-bit mosaics carry the value in their high byte (little endian: the second byte).
                data[(y * width + x) * bytes + bytes - 1] = (byte)Truth(x, y, channel);
            }
        }

        var image = ImageCodecs.DecodeColor(new Image(Header, height, width, encoding, false, (uint)(width * bytes), data));

        for (int y = 1; y < height - 1; y++)
            for (int x = 1; x < width - 1; x++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(Truth(x, y, c), image.Rgb[3 * (y * width + x) + c]);
        // At the border each pixel still keeps its own channel.
        Assert.Equal(Truth(0, 0, "rgb".IndexOf(pattern[0])), image.Rgb["rgb".IndexOf(pattern[0])]);
    }

    [Theory]
    [InlineData("yuv422")]
    [InlineData("yuv422_yuy2")]
    public void A_real_frame_in_yuv_422_decodes_to_its_colours(string encoding)
    {
        // A real 7-Scenes frame with each pair of pixels given one colour, so that 4:2:2 loses nothing but rounding.
        var frame = Jpeg.Decode(File.ReadAllBytes(Path.Combine(Frames, "frame-000200.color.jpg")));
        int width = frame.Width, height = frame.Height;
        var paired = (byte[])frame.Rgb.Clone();
        for (int i = 0; i < width * height; i += 2)
            for (int c = 0; c < 3; c++)
                paired[3 * (i + 1) + c] = paired[3 * i + c];
        var yuv = new byte[width * height * 2];
        bool uyvy = encoding == "yuv422";
        for (int i = 0; i < width * height; i += 2)
        {
            // The ITU-R BT.601 video-range forward matrix.
            double r = paired[3 * i], g = paired[3 * i + 1], b = paired[3 * i + 2];
            byte luma = (byte)Math.Round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
            byte u = (byte)Math.Round(128 - 0.148 * r - 0.291 * g + 0.439 * b), v = (byte)Math.Round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
            byte[] pair = uyvy ? [u, luma, v, luma] : [luma, u, luma, v];
            pair.CopyTo(yuv, 2 * i);
        }

        var image = ImageCodecs.DecodeColor(new Image(Header, (uint)height, (uint)width, encoding, false, (uint)(2 * width), yuv));

        int worst = Enumerable.Range(0, paired.Length).Max(i => Math.Abs(paired[i] - image.Rgb[i]));
        Assert.InRange(worst, 0, 3);
        Assert.Contains("odd", Assert.Throws<ImageFormatException>(() =>
            ImageCodecs.DecodeColor(new Image(Header, 1, 3, encoding, false, 6, new byte[6]))).Message);
    }

    [Fact]
    public void Raw_encodings_agree_on_the_same_pixels()
    {
        byte[] rgb = [10, 20, 30, 40, 50, 60];
        var fromRgb = ImageCodecs.DecodeColor(new Image(Header, 1, 2, "rgb8", false, 6, rgb));
        var fromBgra = ImageCodecs.DecodeColor(new Image(Header, 1, 2, "bgra8", false, 8, [30, 20, 10, 255, 60, 50, 40, 255]));
        Assert.Equal(fromRgb.Rgb, fromBgra.Rgb);
        // mono16 keeps the high byte, whichever byte order the message uses.
        Assert.Equal([0x12, 0x12, 0x12], ImageCodecs.DecodeColor(new Image(Header, 1, 1, "mono16", false, 2, [0x34, 0x12])).Rgb);
        Assert.Equal([0x12, 0x12, 0x12], ImageCodecs.DecodeColor(new Image(Header, 1, 1, "mono16", true, 2, [0x12, 0x34])).Rgb);
        var mono16 = ImageCodecs.DecodeDepth(new Image(Header, 1, 1, "16UC1", true, 2, [0x03, 0xE8]));
        Assert.Equal(1f, mono16.Metres[0]);
        var float32 = ImageCodecs.DecodeDepth(new Image(Header, 1, 1, "32FC1", false, 4, BitConverter.GetBytes(2.5f)));
        Assert.Equal(2.5f, float32.Metres[0]);
    }

    [Fact]
    public void A_damaged_png_is_an_error_naming_the_problem()
    {
        byte[] file = File.ReadAllBytes(Path.Combine(Frames, "frame-000000.depth.png"));
        file[40] ^= 0x55;
        Assert.Contains("CRC", Assert.Throws<ImageFormatException>(() => Png.Decode(file)).Message);
        Assert.Contains("not compressedDepth", Assert.Throws<ImageFormatException>(() =>
            ImageCodecs.DecodeDepth(new CompressedImage(Header, "png", file))).Message);
    }
}
