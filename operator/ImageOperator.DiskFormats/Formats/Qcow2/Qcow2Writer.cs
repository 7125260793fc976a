using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>
/// Writes an uncompressed QCOW2 strictly front to back from a pre-scanned allocation map. Layout: header
/// cluster, refcount table, refcount blocks, L1, the needed L2 tables, then the data clusters in disk order.
/// Every cluster of the file is used exactly once, so every refcount is 1 and every L1/L2 entry is COPIED.
/// </summary>
internal sealed class Qcow2Writer
{
    private readonly AllocationMap _map;
    private readonly byte[]? _metadataJson;
    private readonly long _l1Size;
    private readonly long _l1Clusters;
    private readonly long _l2Count;
    private readonly long _dataClusters;
    private readonly long _refcountTableClusters;
    private readonly long _refcountBlockClusters;

    public Qcow2Writer(AllocationMap map, ImageMetadata? metadata)
    {
        _map = map;
        _metadataJson = Qcow2Layout.MetadataJson(metadata);
        _l1Size = Qcow2Layout.L1Size(map.Length);
        _l1Clusters = Qcow2Layout.ClustersFor(_l1Size * 8);
        for (var l2 = 0L; l2 < _l1Size; l2++)
        {
            if (map.AnyAllocated(l2 * Qcow2Layout.L2Entries, Qcow2Layout.L2Entries))
            {
                _l2Count++;
            }
        }

        _dataClusters = map.CountAllocated();
        (_refcountTableClusters, _refcountBlockClusters) = Qcow2Layout.RefcountStructures(1 + _l1Clusters + _l2Count + _dataClusters);
    }

    private long RefcountBlocksCluster => 1 + _refcountTableClusters;

    private long L1Cluster => RefcountBlocksCluster + _refcountBlockClusters;

    private long L2Cluster => L1Cluster + _l1Clusters;

    private long DataCluster => L2Cluster + _l2Count;

    private long TotalClusters => DataCluster + _dataClusters;

    /// <summary>Size of the output in bytes, known before anything is written.</summary>
    public long OutputLength => TotalClusters * Qcow2Layout.ClusterSize;

    public async Task WriteAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var start = output.Position;
        var header = Qcow2Layout.Header(_map.Length, L1Cluster * Qcow2Layout.ClusterSize, Qcow2Layout.ClusterSize, _refcountTableClusters, _metadataJson);
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Qcow2Layout.RefcountTable(_refcountTableClusters, RefcountBlocksCluster, _refcountBlockClusters), cancellationToken).ConfigureAwait(false);
        var total = TotalClusters;
        await Qcow2Layout.WriteRefcountBlocksAsync(output, _refcountBlockClusters, cluster => cluster < total ? 1 : 0, cancellationToken).ConfigureAwait(false);
        await WriteTablesAsync(output, cancellationToken).ConfigureAwait(false);
        await WriteDataAsync(source, output, progress, cancellationToken).ConfigureAwait(false);
        if (output.Position - start != OutputLength)
        {
            throw new InvalidOperationException("The source changed while it was converted: its data no longer matches the pre-scan.");
        }
    }

    private async Task WriteTablesAsync(ImageOutput output, CancellationToken cancellationToken)
    {
        var l1 = new byte[_l1Clusters * Qcow2Layout.ClusterSize];
        var l2Cluster = L2Cluster;
        for (var l2 = 0L; l2 < _l1Size; l2++)
        {
            if (_map.AnyAllocated(l2 * Qcow2Layout.L2Entries, Qcow2Layout.L2Entries))
            {
                Qcow2Layout.SetEntry(l1, l2, (ulong)(l2Cluster++ * Qcow2Layout.ClusterSize) | Qcow2Layout.Copied);
            }
        }

        await output.WriteAsync(l1, cancellationToken).ConfigureAwait(false);

        var table = new byte[Qcow2Layout.ClusterSize];
        var dataCluster = DataCluster;
        for (var l2 = 0L; l2 < _l1Size; l2++)
        {
            var firstUnit = l2 * Qcow2Layout.L2Entries;
            if (!_map.AnyAllocated(firstUnit, Qcow2Layout.L2Entries))
            {
                continue;
            }

            Array.Clear(table);
            for (var entry = 0; entry < Qcow2Layout.L2Entries && firstUnit + entry < _map.UnitCount; entry++)
            {
                if (_map.IsAllocated(firstUnit + entry))
                {
                    Qcow2Layout.SetEntry(table, entry, (ulong)(dataCluster++ * Qcow2Layout.ClusterSize) | Qcow2Layout.Copied);
                }
            }

            await output.WriteAsync(table, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteDataAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                if (!chunk.IsHole)
                {
                    await WriteAllocatedUnitsAsync(chunk, output, cancellationToken).ConfigureAwait(false);
                }

                progress.Advance(chunk.Length);
            }
        }
    }

    /// <summary>Writes the chunk's allocated units, each contiguous run in one write.</summary>
    private async ValueTask WriteAllocatedUnitsAsync(SourceChunk chunk, ImageOutput output, CancellationToken cancellationToken)
    {
        var firstUnit = chunk.Offset / AllocationMap.UnitSize;
        var units = chunk.UnitCount(AllocationMap.UnitSize);
        var run = -1;
        for (var index = 0; index <= units; index++)
        {
            var allocated = index < units && _map.IsAllocated(firstUnit + index);
            if (allocated && run < 0)
            {
                run = index;
            }
            else if (!allocated && run >= 0)
            {
                var last = chunk.Unit(index - 1, AllocationMap.UnitSize); // pads a partial last cluster
                var bytes = new ReadOnlyMemory<byte>(last.Array, run * AllocationMap.UnitSize, (index - run) * AllocationMap.UnitSize);
                await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                run = -1;
            }
        }
    }
}
