namespace ImageOperator.DiskFormats.Inspection;

/// <summary>Throws the engine's typed refusals; keeps the readers' hot paths free of message building.</summary>
internal static class ImageThrowHelper
{
    public static DiskImageException Create(ImageProblem problem, string message) => new(problem, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Throw(ImageProblem problem, string message) => throw new DiskImageException(problem, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowMalformed(string message) => throw new DiskImageException(ImageProblem.Malformed, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowUnsupported(string message) => throw new DiskImageException(ImageProblem.Unsupported, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowLimitExceeded(string message) => throw new DiskImageException(ImageProblem.LimitExceeded, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowTruncated(string what, long offset, long length, long fileLength) =>
        throw new DiskImageException(
            ImageProblem.Truncated,
            $"the file ends at byte {fileLength}, inside the {what} ({length} bytes at offset {offset}): the image is truncated");

    /// <summary>
    /// Checks that a structure the image declares lies inside the file: a structure starting past the end is a
    /// bad pointer (<see cref="ImageProblem.Malformed"/>), one cut off by the end is <see cref="ImageProblem.Truncated"/>.
    /// </summary>
    public static void EnsureWithinFile(string what, long offset, long length, long fileLength)
    {
        if (offset < 0 || length < 0 || offset >= fileLength && length > 0)
        {
            ThrowMalformed($"the {what} at offset {offset} lies beyond the end of the file ({fileLength} bytes)");
        }

        if (length > fileLength - offset)
        {
            ThrowTruncated(what, offset, length, fileLength);
        }
    }

    /// <summary>Reads a structure, turning an early end of the source into <see cref="ImageProblem.Truncated"/>.</summary>
    public static async ValueTask ReadStructureAsync(this IO.IRangeReader source, string what, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        EnsureWithinFile(what, offset, buffer.Length, source.Length);
        try
        {
            await IO.RangeReaderExtensions.ReadExactlyAtAsync(source, offset, buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new DiskImageException(ImageProblem.Truncated, $"the file ends inside the {what} at offset {offset}: the image is truncated", e);
        }
    }

    /// <summary>Text taken from an image (a file name, a path), made safe and short for messages and logs.</summary>
    public static string Printable(ReadOnlySpan<byte> utf8) => Printable(System.Text.Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, 256)]));

    /// <inheritdoc cref="Printable(ReadOnlySpan{byte})"/>
    public static string Printable(string text) =>
        new([.. text.Take(256).Select(c => char.IsControl(c) ? '?' : c)]);
}
