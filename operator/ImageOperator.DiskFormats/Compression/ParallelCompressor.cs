using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Compression;

/// <summary>
/// Compresses the source's 64 KiB units on every core while handing results back in disk order. At most
/// <see cref="InFlight"/> chunks (1 MiB of input plus its compressed output each) are in memory at once.
/// </summary>
internal static class ParallelCompressor
{
    public const int UnitSize = AllocationMap.UnitSize;

    private static readonly int InFlight = Math.Max(2 * Environment.ProcessorCount, 4);

    /// <summary>
    /// Compresses every unit of every data chunk. With <paramref name="keepIncompressible"/>, a unit whose
    /// deflate would not save at least a sector is marked <see cref="UnitEncoding.Stored"/> instead (QCOW2);
    /// otherwise every non-zero unit is compressed however large it gets (VMDK stream grains). Without a
    /// <paramref name="level"/>, units are only told apart as zero or stored.
    /// </summary>
    public static async IAsyncEnumerable<CompressedChunk> CompressAsync(
        DiskImage source, DeflateFraming framing, int? level, bool keepIncompressible, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = Channel.CreateBounded<Task<CompressedChunk>>(new BoundedChannelOptions(InFlight) { SingleReader = true, SingleWriter = true });
        var producer = ProduceAsync(source, pending.Writer, framing, level, keepIncompressible, stop.Token);
        try
        {
            await foreach (var compressed in pending.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return await compressed.ConfigureAwait(false);
            }

            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already surfaced through the channel.
            }

            while (pending.Reader.TryRead(out var compressed))
            {
                try
                {
                    (await compressed.ConfigureAwait(false)).Dispose();
                }
                catch (Exception)
                {
                    // Abandoned work after a failure or cancellation.
                }
            }
        }
    }

    private static async Task ProduceAsync(
        DiskImage source, ChannelWriter<Task<CompressedChunk>> pending, DeflateFraming framing, int? level, bool keepIncompressible, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
            {
                // Without deflate, telling zero units from data is a vectorised scan: cheaper inline than a thread hop.
                var work = chunk.IsHole
                    ? Task.FromResult(new CompressedChunk(chunk, 0))
                    : level is null
                        ? Task.FromResult(Compress(chunk, framing, level, keepIncompressible))
                        : Task.Run(() => Compress(chunk, framing, level, keepIncompressible), cancellationToken);
                await pending.WriteAsync(work, cancellationToken).ConfigureAwait(false);
            }

            pending.Complete();
        }
        catch (Exception error)
        {
            pending.Complete(error);
        }
    }

    private static CompressedChunk Compress(SourceChunk chunk, DeflateFraming framing, int? level, bool keepIncompressible)
    {
        var slot = keepIncompressible ? UnitSize - 512 : Deflater.Bound(UnitSize);
        var units = chunk.UnitCount(UnitSize);
        var result = new CompressedChunk(chunk, level is null ? 0 : slot * units);
        try
        {
            for (var index = 0; index < units; index++)
            {
                var unit = chunk.Unit(index, UnitSize);
                if (!unit.AsSpan().ContainsAnyExcept((byte)0))
                {
                    continue;
                }

                if (level is not { } deflateLevel)
                {
                    result.Set(index, UnitEncoding.Stored, 0, 0);
                    continue;
                }

                var output = new ArraySegment<byte>(result.Output!, index * slot, slot);
                var length = Deflater.Compress(unit, output, framing, deflateLevel);
                if (length < 0 && !keepIncompressible)
                {
                    throw new InvalidOperationException("Deflate output exceeded its bound.");
                }

                result.Set(index, length < 0 ? UnitEncoding.Stored : UnitEncoding.Compressed, output.Offset, Math.Max(length, 0));
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}

/// <summary>How one unit of a <see cref="CompressedChunk"/> is to be stored.</summary>
internal enum UnitEncoding : byte
{
    /// <summary>All zeros: not stored at all.</summary>
    Zero,

    /// <summary>Deflated; the bytes are in the chunk's output.</summary>
    Compressed,

    /// <summary>Deflate did not pay: stored as is from the source bytes.</summary>
    Stored,
}

/// <summary>A source chunk with the encoding of each of its units. Dispose returns both buffers.</summary>
internal sealed class CompressedChunk : IDisposable
{
    private const int MaxUnits = SourceStreamer.ChunkSize / ParallelCompressor.UnitSize;

    private readonly UnitEncoding[] _encodings = new UnitEncoding[MaxUnits];
    private readonly int[] _offsets = new int[MaxUnits];
    private readonly int[] _lengths = new int[MaxUnits];

    public CompressedChunk(SourceChunk source, int outputSize)
    {
        Source = source;
        Output = outputSize > 0 ? ArrayPool<byte>.Shared.Rent(outputSize) : null;
    }

    public SourceChunk Source { get; }

    public byte[]? Output { get; private set; }

    public int UnitCount => Source.IsHole ? 0 : Source.UnitCount(ParallelCompressor.UnitSize);

    public UnitEncoding Encoding(int index) => _encodings[index];

    /// <summary>The deflated bytes of a <see cref="UnitEncoding.Compressed"/> unit.</summary>
    public ReadOnlyMemory<byte> Compressed(int index) => Output.AsMemory(_offsets[index], _lengths[index]);

    /// <summary>The whole (zero-padded) source unit, for <see cref="UnitEncoding.Stored"/> units.</summary>
    public ReadOnlyMemory<byte> Stored(int index) => Source.Unit(index, ParallelCompressor.UnitSize);

    public void Set(int index, UnitEncoding encoding, int offset, int length)
    {
        _encodings[index] = encoding;
        _offsets[index] = offset;
        _lengths[index] = length;
    }

    public void Dispose()
    {
        Source.Dispose();
        if (Output is not null)
        {
            ArrayPool<byte>.Shared.Return(Output);
            Output = null;
        }
    }
}
