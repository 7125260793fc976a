namespace ImageOperator.DiskFormats.IO;

/// <summary>
/// Random-access, read-only view of a byte source of known length: a local file, a seekable stream or an
/// object in object storage read with ranged requests. Disk-image readers only ever read through it, so a
/// source never has to be downloaded whole before it is inspected or converted.
/// </summary>
public interface IRangeReader : IAsyncDisposable
{
    /// <summary>Length of the source in bytes.</summary>
    long Length { get; }

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes starting at <paramref name="offset"/>. Returns fewer bytes only
    /// at the end of the source; 0 when <paramref name="offset"/> is at or beyond <see cref="Length"/>.
    /// </summary>
    ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default);
}
