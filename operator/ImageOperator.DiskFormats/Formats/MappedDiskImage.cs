using System.Runtime.CompilerServices;
using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats;

/// <summary>
/// Shared reading logic of every format: a format only says how a virtual offset is stored
/// (<see cref="MapAsync"/>) and how a compressed block inflates; extents and reads follow from that.
/// </summary>
internal abstract class MappedDiskImage : DiskImage
{
    private readonly LruCache<long, byte[]> _decompressedBlocks = new(8);
    private readonly List<string> _findings = [];

    protected MappedDiskImage(IRangeReader source) => Source = source;

    /// <summary>The image file (or the bounded view of it inside an archive).</summary>
    protected IRangeReader Source { get; }

    /// <inheritdoc />
    public override long AllocatedBytes => Source.Length;

    /// <inheritdoc />
    public override IReadOnlyList<string> Findings => _findings;

    /// <summary>Records a non-fatal observation of the inspector.</summary>
    internal void AddFinding(string finding) => _findings.Add(finding);

    /// <summary>
    /// Maps the run starting at <paramref name="offset"/>; it may be shorter than <paramref name="maxLength"/> but
    /// never longer, and never empty.
    /// </summary>
    protected abstract ValueTask<Mapping> MapAsync(long offset, long maxLength, CancellationToken cancellationToken);

    /// <summary>Inflates one compressed block into a new array of the format's block size.</summary>
    protected virtual ValueTask<byte[]> DecompressBlockAsync(long storedOffset, int storedLength, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Format} has no compressed blocks.");

    /// <inheritdoc />
    public override async IAsyncEnumerable<Extent> GetExtentsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long offset = 0, pendingStart = 0;
        var pendingKind = ExtentKind.Zero;
        while (offset < VirtualSize)
        {
            var mapping = await MapCheckedAsync(offset, VirtualSize - offset, cancellationToken).ConfigureAwait(false);
            var kind = mapping.Kind == MappingKind.Zero ? ExtentKind.Zero : ExtentKind.Data;
            if (kind != pendingKind && offset > pendingStart)
            {
                yield return new Extent(pendingStart, offset - pendingStart, pendingKind);
                pendingStart = offset;
            }

            pendingKind = kind;
            offset += mapping.Length;
        }

        if (offset > pendingStart)
        {
            yield return new Extent(pendingStart, offset - pendingStart, pendingKind);
        }
    }

    /// <inheritdoc />
    public override async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (buffer.Length > VirtualSize - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(buffer), $"The range [{offset}, {offset + buffer.Length}) is not inside the {VirtualSize}-byte virtual disk.");
        }

        var done = 0;
        while (done < buffer.Length)
        {
            var position = offset + done;
            var mapping = await MapCheckedAsync(position, buffer.Length - done, cancellationToken).ConfigureAwait(false);
            var part = buffer.Slice(done, (int)mapping.Length);
            switch (mapping.Kind)
            {
                case MappingKind.Zero:
                    part.Span.Clear();
                    break;
                case MappingKind.Data:
                    await ReadHostAsync(mapping.HostOffset, part, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    var block = await _decompressedBlocks.GetOrLoadAsync(
                        mapping.HostOffset,
                        (Image: this, mapping.StoredLength),
                        static (storedOffset, state, ct) => state.Image.DecompressBlockAsync(storedOffset, state.StoredLength, ct),
                        cancellationToken).ConfigureAwait(false);
                    block.AsSpan(mapping.InBlockOffset, part.Length).CopyTo(part.Span);
                    break;
            }

            done += part.Length;
        }
    }

    /// <summary>Reads stored bytes, refusing pointers outside the file.</summary>
    protected async ValueTask ReadHostAsync(long hostOffset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (hostOffset < 0 || hostOffset > Source.Length - destination.Length)
        {
            ImageThrowHelper.ThrowMalformed(
                $"the image maps {destination.Length} bytes of disk data at file offset {hostOffset}, beyond the end of the file ({Source.Length} bytes)");
        }

        try
        {
            await Source.ReadExactlyAtAsync(hostOffset, destination, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new DiskImageException(ImageProblem.Truncated, $"the file ends inside the disk data at file offset {hostOffset}: the image is truncated", e);
        }
    }

    private async ValueTask<Mapping> MapCheckedAsync(long offset, long maxLength, CancellationToken cancellationToken)
    {
        var mapping = await MapAsync(offset, maxLength, cancellationToken).ConfigureAwait(false);
        if (mapping.Length <= 0 || mapping.Length > maxLength)
        {
            throw new InvalidOperationException($"{GetType().Name} mapped an invalid run of {mapping.Length} bytes at {offset} (at most {maxLength}).");
        }

        return mapping;
    }
}
