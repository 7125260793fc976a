using ImageOperator.DiskFormats.Detection;
using ImageOperator.DiskFormats.Formats.Oci;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.Formats.Raw;
using ImageOperator.DiskFormats.Formats.Vdi;
using ImageOperator.DiskFormats.Formats.Vhd;
using ImageOperator.DiskFormats.Formats.Vmdk;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats;

/// <summary>
/// Entry point of the engine's read side: detects the format of a source from its content, runs the safety
/// inspection (no backing files, external extents, encryption, out-of-file tables, absurd sizes), and returns a
/// <see cref="DiskImage"/> that reads the virtual disk.
/// </summary>
public static class DiskImageReader
{
    /// <summary>
    /// Opens <paramref name="source"/> as a disk image. The source stays owned by the caller and must outlive the
    /// returned image.
    /// </summary>
    /// <param name="source">The image file or object.</param>
    /// <param name="declaredFormat">The format the user declared, if any; the content must match it.</param>
    /// <param name="limits">Safety bounds; <see cref="DiskImageLimits.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels the inspection.</param>
    /// <exception cref="DiskImageException">The image is refused; <see cref="DiskImageException.Problem"/> says why.</exception>
    public static async ValueTask<DiskImage> OpenAsync(
        IRangeReader source,
        DiskFormat? declaredFormat = null,
        DiskImageLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= DiskImageLimits.Default;
        var detected = await ImageFormatDetector.DetectAsync(source, cancellationToken).ConfigureAwait(false);
        if (declaredFormat is { } declared && declared != detected)
        {
            throw new DiskImageException(
                ImageProblem.FormatMismatch,
                $"the source does not contain a {Name(declared)} image: its content is {Describe(detected)}");
        }

        return await OpenAsAsync(source, detected, limits, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The name of a format as users write it (<c>QCOW2</c>, <c>VMDK</c>...).</summary>
    public static string Name(DiskFormat format) => format.ToString().ToUpperInvariant();

    internal static async ValueTask<DiskImage> OpenAsAsync(IRangeReader source, DiskFormat format, DiskImageLimits limits, CancellationToken cancellationToken) =>
        format switch
        {
            DiskFormat.Qcow2 => await Qcow2Image.OpenAsync(source, limits, cancellationToken).ConfigureAwait(false),
            DiskFormat.Vmdk => await VmdkImage.OpenAsync(source, limits, cancellationToken).ConfigureAwait(false),
            DiskFormat.Vdi => await VdiImage.OpenAsync(source, limits, cancellationToken).ConfigureAwait(false),
            DiskFormat.Vhd => await VhdImage.OpenAsync(source, limits, cancellationToken).ConfigureAwait(false),
            DiskFormat.Oci => await OciImage.OpenAsync(source, limits, cancellationToken).ConfigureAwait(false),
            _ => RawImage.Open(source, limits),
        };

    private static string Describe(DiskFormat format) =>
        format == DiskFormat.Raw ? "not a recognised image format (raw data)" : $"a {Name(format)} image";
}
