using ImageOperator.DiskFormats.Formats.Oci;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.Formats.Vdi;
using ImageOperator.DiskFormats.Formats.Vhd;
using ImageOperator.DiskFormats.Formats.Vmdk;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Detection;

/// <summary>
/// Recognises a disk-image format from its content, never from a file name: magic numbers at fixed offsets, and
/// for fixed VHDs the footer in the last 512 bytes. Anything unrecognised is <see cref="DiskFormat.Raw"/>.
/// </summary>
public static class ImageFormatDetector
{
    /// <summary>Bytes read from the start of the source, enough for every signature.</summary>
    private const int ProbeLength = 512;

    /// <summary>Detects the format of <paramref name="source"/>.</summary>
    public static async ValueTask<DiskFormat> DetectAsync(IRangeReader source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var head = new byte[(int)Math.Min(ProbeLength, source.Length)];
        await source.ReadExactlyAtAsync(0, head, cancellationToken).ConfigureAwait(false);
        var tail = Array.Empty<byte>();
        if (source.Length >= VhdConstants.FooterSize)
        {
            tail = new byte[VhdConstants.FooterSize];
            await source.ReadExactlyAtAsync(source.Length - VhdConstants.FooterSize, tail, cancellationToken).ConfigureAwait(false);
        }

        return Detect(head, tail);
    }

    /// <summary>
    /// Detects the format from the first bytes of the source (up to 512) and its last 512 bytes (empty when the
    /// source is shorter).
    /// </summary>
    public static DiskFormat Detect(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail)
    {
        if (head.StartsWith(Qcow2Constants.Magic))
        {
            return DiskFormat.Qcow2;
        }

        if (head.StartsWith(VmdkConstants.SparseMagic) || head.StartsWith(VmdkConstants.EsxCowdMagic) || head.StartsWith(VmdkConstants.DescriptorSignature))
        {
            return DiskFormat.Vmdk;
        }

        if (head.Length >= VdiConstants.SignatureOffset + 4 && head.Slice(VdiConstants.SignatureOffset, 4).SequenceEqual(VdiConstants.Signature))
        {
            return DiskFormat.Vdi;
        }

        if (head.StartsWith(VhdConstants.Cookie))
        {
            return DiskFormat.Vhd;
        }

        if (head.Length >= OciConstants.UstarMagicOffset + OciConstants.UstarMagic.Length
            && head.Slice(OciConstants.UstarMagicOffset, OciConstants.UstarMagic.Length).SequenceEqual(OciConstants.UstarMagic))
        {
            return DiskFormat.Oci;
        }

        return tail.StartsWith(VhdConstants.Cookie) ? DiskFormat.Vhd : DiskFormat.Raw;
    }
}
