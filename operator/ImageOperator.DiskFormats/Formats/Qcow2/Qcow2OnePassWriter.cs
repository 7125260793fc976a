using ImageOperator.DiskFormats.Compression;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>
/// Writes a QCOW2 in one pass without a pre-scan: the writer for compressed QCOW2, and for uncompressed QCOW2
/// when one pass is preferred (<paramref name="level"/> null). Compressed clusters are packed byte by byte after
/// the header cluster; a cluster deflate cannot shrink by a sector is stored whole, cluster-aligned. Each L2
/// table follows the data it maps, and the L1 table, the refcount table and the refcount blocks come last. Only
/// then are their offsets known, so the header cluster is rewritten at the end through the sink's head patch.
/// Memory: one L2 table, the L1 table and a 16-bit refcount per output cluster (1/32768 of the output).
/// </summary>
internal sealed class Qcow2OnePassWriter(long virtualSize, ImageMetadata? metadata, int? level)
{
    private readonly byte[]? _metadataJson = Qcow2Layout.MetadataJson(metadata);
    private readonly long _l1Size = Qcow2Layout.L1Size(virtualSize);
    private readonly byte[] _l2 = new byte[Qcow2Layout.ClusterSize];
    private ushort[] _refcounts = new ushort[1024];
    private byte[] _l1 = [];
    private long _start;
    private long _l2Index = -1;
    private bool _l2Used;

    /// <summary>Bytes at the start of the output that are rewritten at the end.</summary>
    public static long PatchedBytes => Qcow2Layout.ClusterSize;

    public async Task WriteAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        if (output.HeadCapacity < output.Position + PatchedBytes)
        {
            throw new NotSupportedException("A compressed QCOW2 needs an output whose first cluster can be rewritten at the end (a file or an object-storage upload holding its head, not a pipe).");
        }

        _start = output.Position;
        _l1 = new byte[Qcow2Layout.ClustersFor(_l1Size * 8) * Qcow2Layout.ClusterSize];
        await output.WriteAsync(Qcow2Layout.Header(virtualSize, 0, 0, 0, _metadataJson), cancellationToken).ConfigureAwait(false);
        Use(0, Qcow2Layout.ClusterSize);

        await foreach (var chunk in ParallelCompressor.CompressAsync(source, DeflateFraming.QcowRaw, level, keepIncompressible: true, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                var firstUnit = chunk.Source.Offset / Qcow2Layout.ClusterSize;
                for (var index = 0; index < chunk.UnitCount; index++)
                {
                    var encoding = chunk.Encoding(index);
                    if (encoding != UnitEncoding.Zero)
                    {
                        await WriteClusterAsync(output, firstUnit + index, chunk, index, encoding, cancellationToken).ConfigureAwait(false);
                    }
                }

                progress.Advance(chunk.Source.Length);
            }
        }

        await FlushL2Async(output, cancellationToken).ConfigureAwait(false);
        await WriteTrailerAndPatchHeaderAsync(output, cancellationToken).ConfigureAwait(false);
    }

    private long Relative(ImageOutput output) => output.Position - _start;

    private async ValueTask WriteClusterAsync(ImageOutput output, long cluster, CompressedChunk chunk, int index, UnitEncoding encoding, CancellationToken cancellationToken)
    {
        var l2Index = cluster / Qcow2Layout.L2Entries;
        if (l2Index != _l2Index)
        {
            await FlushL2Async(output, cancellationToken).ConfigureAwait(false);
            _l2Index = l2Index;
        }

        ulong entry;
        if (encoding == UnitEncoding.Compressed)
        {
            var bytes = chunk.Compressed(index);
            var at = Relative(output);
            await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            Use(at, bytes.Length);
            entry = Qcow2Layout.CompressedEntry(at, bytes.Length);
        }
        else
        {
            await output.AlignAsync(Qcow2Layout.ClusterSize, _start, cancellationToken).ConfigureAwait(false);
            var at = Relative(output);
            await output.WriteAsync(chunk.Stored(index), cancellationToken).ConfigureAwait(false);
            Use(at, Qcow2Layout.ClusterSize);
            entry = (ulong)at | Qcow2Layout.Copied;
        }

        Qcow2Layout.SetEntry(_l2, cluster % Qcow2Layout.L2Entries, entry);
        _l2Used = true;
    }

    private async ValueTask FlushL2Async(ImageOutput output, CancellationToken cancellationToken)
    {
        if (!_l2Used)
        {
            return;
        }

        await output.AlignAsync(Qcow2Layout.ClusterSize, _start, cancellationToken).ConfigureAwait(false);
        var at = Relative(output);
        await output.WriteAsync(_l2, cancellationToken).ConfigureAwait(false);
        Use(at, Qcow2Layout.ClusterSize);
        Qcow2Layout.SetEntry(_l1, _l2Index, (ulong)at | Qcow2Layout.Copied);
        Array.Clear(_l2);
        _l2Used = false;
    }

    private async ValueTask WriteTrailerAndPatchHeaderAsync(ImageOutput output, CancellationToken cancellationToken)
    {
        await output.AlignAsync(Qcow2Layout.ClusterSize, _start, cancellationToken).ConfigureAwait(false);
        var l1Offset = Relative(output);
        await output.WriteAsync(_l1, cancellationToken).ConfigureAwait(false);
        Use(l1Offset, _l1.Length);

        var before = Relative(output) / Qcow2Layout.ClusterSize;
        var (tableClusters, blockClusters) = Qcow2Layout.RefcountStructures(before);
        var tableOffset = Relative(output);
        Use(tableOffset, (tableClusters + blockClusters) * Qcow2Layout.ClusterSize);
        await output.WriteAsync(Qcow2Layout.RefcountTable(tableClusters, before + tableClusters, blockClusters), cancellationToken).ConfigureAwait(false);
        var used = before + tableClusters + blockClusters;
        await Qcow2Layout.WriteRefcountBlocksAsync(output, blockClusters, cluster => cluster < used ? _refcounts[cluster] : 0, cancellationToken).ConfigureAwait(false);

        var header = Qcow2Layout.Header(virtualSize, l1Offset, tableOffset, tableClusters, _metadataJson);
        await output.PatchHeadAsync(_start, header, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds one reference to every cluster that [<paramref name="offset"/>, +<paramref name="length"/>) touches.</summary>
    private void Use(long offset, long length)
    {
        var last = (offset + length - 1) / Qcow2Layout.ClusterSize;
        if (last >= _refcounts.Length)
        {
            Array.Resize(ref _refcounts, (int)Math.Max(last + 1, _refcounts.Length * 2L));
        }

        for (var cluster = offset / Qcow2Layout.ClusterSize; cluster <= last; cluster++)
        {
            _refcounts[cluster]++;
        }
    }
}
