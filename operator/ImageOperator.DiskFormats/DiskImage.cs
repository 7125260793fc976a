namespace ImageOperator.DiskFormats;

/// <summary>
/// A virtual disk opened for reading, whatever its container format: its virtual size, a map of which
/// ranges hold data and which read as zeros, and reads of any range of the virtual disk. Instances are
/// produced by the engine only after the safety inspection passed.
/// Reads may run concurrently.
/// </summary>
public abstract class DiskImage : IAsyncDisposable
{
    /// <summary>The container format.</summary>
    public abstract DiskFormat Format { get; }

    /// <summary>The variant within the format, e.g. <c>compat=1.1</c>, <c>streamOptimized</c>, <c>dynamic</c>.</summary>
    public abstract string Subformat { get; }

    /// <summary>Size of the virtual disk in bytes.</summary>
    public abstract long VirtualSize { get; }

    /// <summary>Bytes of the source file that hold disk data (what <c>qemu-img info</c> calls disk size, roughly).</summary>
    public abstract long AllocatedBytes { get; }

    /// <summary>Metadata carried by the image (an <c>.oci</c> archive, or a QCOW2 written by this engine), if any.</summary>
    public virtual ImageMetadata? Metadata => null;

    /// <summary>Non-fatal observations of the inspector (e.g. a dirty flag that was tolerated).</summary>
    public virtual IReadOnlyList<string> Findings => [];

    /// <summary>
    /// Enumerates the extents of the virtual disk in ascending order; they are contiguous, cover
    /// [0, <see cref="VirtualSize"/>) exactly, and neighbours of the same kind are merged.
    /// </summary>
    public abstract IAsyncEnumerable<Extent> GetExtentsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Fills <paramref name="buffer"/> with the virtual disk's bytes at <paramref name="offset"/>; holes read as
    /// zeros. The range must lie within [0, <see cref="VirtualSize"/>).
    /// </summary>
    public abstract ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
