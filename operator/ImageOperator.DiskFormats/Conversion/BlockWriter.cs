namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// The data pass shared by the block formats (VDI, dynamic VHD): every allocated block in disk order, whole
/// (zeros inside it become holes in sparse sinks), each optionally preceded by a per-block header. Blocks are
/// either those of a pre-scanned map, or decided on the fly (one pass, the map patched in afterwards).
/// </summary>
internal static class BlockWriter
{
    /// <summary>
    /// Writes every block holding a non-zero byte, deciding as it reads (at most one block of chunks is held),
    /// and reports each written block with its offset relative to <paramref name="origin"/>.
    /// </summary>
    public static async Task WriteNonZeroBlocksAsync(
        DiskImage source, ImageOutput output, long origin, ProgressTracker progress, int blockSize,
        ReadOnlyMemory<byte>? blockHeader, Action<long, long> written, CancellationToken cancellationToken)
    {
        var pieces = new List<SourceChunk>();
        var block = 0L;
        var holdsData = false;

        async ValueTask FinishBlockAsync()
        {
            if (holdsData)
            {
                written(block, output.Position - origin);
                if (blockHeader is { } header)
                {
                    await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                }

                var end = block * blockSize;
                foreach (var piece in pieces)
                {
                    await output.WriteZerosAsync(piece.Offset - end, cancellationToken).ConfigureAwait(false);
                    await WriteSparseAsync(output, piece.Data, cancellationToken).ConfigureAwait(false);
                    end = piece.End;
                }

                await output.WriteZerosAsync(((block + 1) * blockSize) - end, cancellationToken).ConfigureAwait(false);
            }

            pieces.ForEach(piece => piece.Dispose());
            pieces.Clear();
            holdsData = false;
        }

        try
        {
            await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
            {
                if (chunk.Offset / blockSize != block)
                {
                    await FinishBlockAsync().ConfigureAwait(false);
                    block = chunk.Offset / blockSize;
                }

                progress.Advance(chunk.Length);
                if (chunk.IsHole)
                {
                    // A hole may end inside a later block; the data that follows it starts that block.
                    chunk.Dispose();
                    continue;
                }

                pieces.Add(chunk);
                holdsData |= chunk.Data.Span.ContainsAnyExcept((byte)0);
            }

            await FinishBlockAsync().ConfigureAwait(false);
        }
        finally
        {
            pieces.ForEach(piece => piece.Dispose());
        }
    }

    public static async Task WriteAllocatedBlocksAsync(
        DiskImage source, ImageOutput output, ProgressTracker progress, int blockSize, Func<long, bool> isAllocated,
        ReadOnlyMemory<byte>? blockHeader, CancellationToken cancellationToken)
    {
        var position = 0L; // how far into the virtual disk the output has got
        await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                for (var offset = chunk.Offset; offset < chunk.End;)
                {
                    var block = offset / blockSize;
                    var blockEnd = Math.Min((block + 1) * blockSize, chunk.End);
                    if (isAllocated(block))
                    {
                        if (offset == block * blockSize && blockHeader is { } header)
                        {
                            await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                        }

                        if (chunk.IsHole)
                        {
                            await output.WriteZerosAsync(blockEnd - offset, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            await WriteSparseAsync(output, chunk.Data[(int)(offset - chunk.Offset)..(int)(blockEnd - chunk.Offset)], cancellationToken).ConfigureAwait(false);
                        }

                        position = blockEnd;
                    }

                    offset = blockEnd;
                }

                progress.Advance(chunk.Length);
            }
        }

        // Only the disk's last block can end early; it is stored whole.
        if (position % blockSize != 0)
        {
            await output.WriteZerosAsync(blockSize - (position % blockSize), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="data"/>, turning its all-zero 64 KiB units into zero runs.</summary>
    public static async ValueTask WriteSparseAsync(ImageOutput output, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var runStart = 0;
        bool? runIsData = null;
        for (var at = 0; at < data.Length; at += AllocationMap.UnitSize)
        {
            var isData = AllocationMap.HoldsData(data.Span, at);
            if (runIsData is { } previous && previous != isData)
            {
                await EmitAsync(output, data[runStart..at], previous, cancellationToken).ConfigureAwait(false);
                runStart = at;
            }

            runIsData = isData;
        }

        if (runIsData is { } last)
        {
            await EmitAsync(output, data[runStart..], last, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ValueTask EmitAsync(ImageOutput output, ReadOnlyMemory<byte> run, bool isData, CancellationToken cancellationToken) =>
        isData ? output.WriteAsync(run, cancellationToken) : output.WriteZerosAsync(run.Length, cancellationToken);
}
