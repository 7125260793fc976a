namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// Writes an image to a forward-only <see cref="Stream"/> (a pipe, a network stream). Holes are written as
/// zeros and no head patch is possible, so a compressed QCOW2 cannot be written here. The stream's owner
/// decides what becomes of partial output when the conversion fails.
/// </summary>
public sealed class StreamImageSink : IImageSink
{
    private static readonly byte[] Zeros = new byte[1 << 16];

    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    /// <summary>Wraps <paramref name="stream"/>, which must be writable.</summary>
    public StreamImageSink(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <inheritdoc />
    public long Position { get; private set; }

    /// <inheritdoc />
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        Position += data.Length;
    }

    /// <inheritdoc />
    public async ValueTask WriteZerosAsync(long count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        while (count > 0)
        {
            var take = (int)Math.Min(count, Zeros.Length);
            await WriteAsync(Zeros.AsMemory(0, take), cancellationToken).ConfigureAwait(false);
            count -= take;
        }
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_leaveOpen)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
