using Microsoft.Win32.SafeHandles;

namespace ImageOperator.DiskFormats.IO;

/// <summary>An <see cref="IRangeReader"/> over a local file, using positional reads (no shared file pointer).</summary>
public sealed class FileRangeReader : IRangeReader
{
    private readonly SafeFileHandle _handle;

    private FileRangeReader(SafeFileHandle handle)
    {
        _handle = handle;
        Length = RandomAccess.GetLength(handle);
    }

    /// <inheritdoc />
    public long Length { get; }

    /// <summary>Opens <paramref name="path"/> for reading.</summary>
    public static FileRangeReader Open(string path) =>
        new(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.RandomAccess));

    /// <inheritdoc />
    public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        offset >= Length ? ValueTask.FromResult(0) : RandomAccess.ReadAsync(_handle, buffer, offset, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }
}
