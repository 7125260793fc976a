using System.Text;
using FluentAssertions;
using ImageOperator.DiskFormats.Detection;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>Detection looks at content only: magic numbers at their offsets, and the VHD footer at the end.</summary>
public sealed class ImageFormatDetectorTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x51, 0x46, 0x49, 0xFB }, DiskFormat.Qcow2)]
    [InlineData(0, new byte[] { (byte)'K', (byte)'D', (byte)'M', (byte)'V' }, DiskFormat.Vmdk)]
    [InlineData(0, new byte[] { (byte)'C', (byte)'O', (byte)'W', (byte)'D' }, DiskFormat.Vmdk)]
    [InlineData(0x40, new byte[] { 0x7F, 0x10, 0xDA, 0xBE }, DiskFormat.Vdi)]
    [InlineData(0, new byte[] { (byte)'c', (byte)'o', (byte)'n', (byte)'e', (byte)'c', (byte)'t', (byte)'i', (byte)'x' }, DiskFormat.Vhd)]
    [InlineData(257, new byte[] { (byte)'u', (byte)'s', (byte)'t', (byte)'a', (byte)'r', 0 }, DiskFormat.Oci)]
    [InlineData(1, new byte[] { 0x51, 0x46, 0x49, 0xFB }, DiskFormat.Raw)]
    public void Detects_magic_numbers_at_their_offsets(int offset, byte[] magic, DiskFormat expected)
    {
        var head = new byte[512];
        magic.CopyTo(head, offset);

        ImageFormatDetector.Detect(head, new byte[512]).Should().Be(expected);
    }

    [Fact]
    public void A_text_descriptor_is_detected_as_vmdk_so_that_it_can_be_refused()
    {
        var head = Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\n");

        ImageFormatDetector.Detect(head, []).Should().Be(DiskFormat.Vmdk);
    }

    [Fact]
    public void A_footer_only_at_the_end_is_a_fixed_vhd()
    {
        var tail = new byte[512];
        "conectix"u8.CopyTo(tail);

        ImageFormatDetector.Detect(new byte[512], tail).Should().Be(DiskFormat.Vhd);
    }

    [Fact]
    public void Short_or_unrecognised_content_is_raw()
    {
        ImageFormatDetector.Detect([], []).Should().Be(DiskFormat.Raw);
        ImageFormatDetector.Detect("QFI"u8, []).Should().Be(DiskFormat.Raw);
    }
}
