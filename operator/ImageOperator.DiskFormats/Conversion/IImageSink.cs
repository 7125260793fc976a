namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// Destination of a converted image, written strictly front to back (an S3 multipart upload, a pipe, a file).
/// Nothing is visible at the destination until <see cref="CompleteAsync"/> succeeds; disposing a sink that was
/// not completed discards everything written (deletes the temporary file, aborts the upload).
/// </summary>
public interface IImageSink : IAsyncDisposable
{
    /// <summary>Bytes written so far, zeros included: the offset the next write lands at.</summary>
    long Position { get; }

    /// <summary>Appends <paramref name="data"/>.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Appends <paramref name="count"/> zero bytes; sinks that can leave holes (sparse files) do so.</summary>
    ValueTask WriteZerosAsync(long count, CancellationToken cancellationToken = default);

    /// <summary>Makes the output visible at its destination. No write is allowed afterwards.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A sink that can still overwrite bytes in a bounded region at its start until it is completed: a file can
/// seek back; an S3 multipart upload keeps part 1 (at least 5 MiB) in memory and uploads it last. Writers use
/// it only where a forward-only layout is impossible (a compressed QCOW2 header must point at tables that
/// follow data whose compressed size is known only once written).
/// </summary>
public interface IHeadPatchSink : IImageSink
{
    /// <summary>Size of the patchable region at offset 0, in bytes.</summary>
    long HeadCapacity { get; }

    /// <summary>Overwrites already written bytes at <paramref name="offset"/>; the range must lie in the head region.</summary>
    ValueTask PatchHeadAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads back the completed output. A digest of an output whose head was patched cannot be computed in
    /// write order (the head's final bytes come last), so the converter hashes it from here after completion.
    /// Returns fewer bytes only at the end of the output.
    /// </summary>
    ValueTask<int> ReadCompletedAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default);
}
