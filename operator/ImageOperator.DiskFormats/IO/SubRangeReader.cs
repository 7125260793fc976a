namespace ImageOperator.DiskFormats.IO;

/// <summary>
/// A bounded view of a range of another <see cref="IRangeReader"/> (an archive entry): reads never leave the range.
/// The parent stays owned by the caller.
/// </summary>
internal sealed class SubRangeReader : IRangeReader
{
    private readonly IRangeReader _parent;
    private readonly long _start;

    public SubRangeReader(IRangeReader parent, long start, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, parent.Length - start);
        _parent = parent;
        _start = start;
        Length = length;
    }

    /// <inheritdoc />
    public long Length { get; }

    /// <inheritdoc />
    public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= Length)
        {
            return ValueTask.FromResult(0);
        }

        var bounded = buffer[..(int)Math.Min(buffer.Length, Length - offset)];
        return _parent.ReadAtAsync(_start + offset, bounded, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
