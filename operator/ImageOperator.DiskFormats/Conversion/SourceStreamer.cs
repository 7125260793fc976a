using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// Reads a source disk front to back as <see cref="SourceChunk"/>s: ranges the extent map calls zero come out
/// as holes without being read, everything else in aligned chunks read ahead by several concurrent reads
/// (bounded, so memory stays at a few chunks whatever the disk size).
/// </summary>
internal static class SourceStreamer
{
    /// <summary>Size and alignment of data chunks; a multiple of every writer's allocation unit.</summary>
    public const int ChunkSize = 1 << 20;

    private const int ReadAhead = 4;

    public static async IAsyncEnumerable<SourceChunk> ReadAsync(DiskImage source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = Channel.CreateBounded<Task<SourceChunk>>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });
        var producer = ProduceAsync(source, pending.Writer, stop.Token);
        try
        {
            await foreach (var read in pending.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return await read.ConfigureAwait(false);
            }

            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await DrainAsync(pending.Reader, producer).ConfigureAwait(false);
        }
    }

    private static async Task ProduceAsync(DiskImage source, ChannelWriter<Task<SourceChunk>> pending, CancellationToken cancellationToken)
    {
        try
        {
            var length = source.VirtualSize;
            var next = 0L;
            await foreach (var extent in source.GetExtentsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (extent.Kind == ExtentKind.Zero)
                {
                    continue;
                }

                var window = Math.Max(extent.Offset / ChunkSize * ChunkSize, next);
                for (; window < extent.End; window += ChunkSize)
                {
                    if (window > next)
                    {
                        await pending.WriteAsync(Task.FromResult(SourceChunk.Hole(next, window - next)), cancellationToken).ConfigureAwait(false);
                    }

                    var size = (int)Math.Min(ChunkSize, length - window);
                    await pending.WriteAsync(ReadChunkAsync(source, window, size, cancellationToken), cancellationToken).ConfigureAwait(false);
                    next = window + size;
                }
            }

            if (next < length)
            {
                await pending.WriteAsync(Task.FromResult(SourceChunk.Hole(next, length - next)), cancellationToken).ConfigureAwait(false);
            }

            pending.Complete();
        }
        catch (Exception error)
        {
            pending.Complete(error);
        }
    }

    private static async Task<SourceChunk> ReadChunkAsync(DiskImage source, long offset, int size, CancellationToken cancellationToken)
    {
        var chunk = SourceChunk.Rent(offset, size);
        try
        {
            await source.ReadAsync(offset, chunk.Data, cancellationToken).ConfigureAwait(false);
            return chunk;
        }
        catch
        {
            chunk.Dispose();
            throw;
        }
    }

    private static async Task DrainAsync(ChannelReader<Task<SourceChunk>> pending, Task producer)
    {
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The producer's failure already reached the reader through the channel.
        }

        while (pending.TryRead(out var read))
        {
            try
            {
                (await read.ConfigureAwait(false)).Dispose();
            }
            catch (Exception)
            {
                // Reads abandoned after a failure or cancellation: their outcome no longer matters.
            }
        }
    }
}
