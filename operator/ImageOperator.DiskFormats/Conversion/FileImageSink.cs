using Microsoft.Win32.SafeHandles;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// Writes an image to a local file. Output goes to a hidden temporary file in the destination's folder, which
/// is renamed over the destination on <see cref="CompleteAsync"/> and deleted when the sink is disposed without
/// completing (failure, cancellation), so a destination is never left half-written. Zero runs become holes,
/// which keeps raw outputs sparse. Small writes are coalesced; the whole file stays patchable.
/// </summary>
public sealed class FileImageSink : IHeadPatchSink
{
    private const int CoalesceSize = 1 << 20;

    private readonly string _destination;
    private readonly string _temporary;
    private readonly byte[] _buffer = new byte[CoalesceSize];
    private SafeFileHandle? _handle;
    private SafeFileHandle? _completed;
    private int _buffered;
    private long _flushed;

    private FileImageSink(string destination, string temporary, SafeFileHandle handle)
    {
        _destination = destination;
        _temporary = temporary;
        _handle = handle;
    }

    /// <summary>Starts writing an image that will appear at <paramref name="destination"/> once completed.</summary>
    public static FileImageSink Create(string destination)
    {
        var full = Path.GetFullPath(destination);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException("The destination has no folder.", nameof(destination));
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
        return new FileImageSink(full, temporary, handle);
    }

    /// <inheritdoc />
    public long Position => _flushed + _buffered;

    /// <summary>The whole file can be patched until completion.</summary>
    public long HeadCapacity => long.MaxValue;

    /// <inheritdoc />
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var handle = Open();
        if (_buffered == 0 && data.Length >= CoalesceSize)
        {
            await RandomAccess.WriteAsync(handle, data, _flushed, cancellationToken).ConfigureAwait(false);
            _flushed += data.Length;
            return;
        }

        while (!data.IsEmpty)
        {
            var take = Math.Min(data.Length, CoalesceSize - _buffered);
            data.Span[..take].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered == CoalesceSize)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask WriteZerosAsync(long count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Open();
        if (count < 4096 && _buffered + count <= CoalesceSize)
        {
            _buffer.AsSpan(_buffered, (int)count).Clear();
            _buffered += (int)count;
            return;
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        _flushed += count; // a hole: the final SetLength covers trailing ones
    }

    /// <inheritdoc />
    public async ValueTask PatchHeadAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var handle = Open();
        if (offset < 0 || offset + data.Length > Position)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "A patch must overwrite bytes already written.");
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await RandomAccess.WriteAsync(handle, data, offset, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        var handle = Open();
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        RandomAccess.SetLength(handle, _flushed);
        handle.Dispose();
        _handle = null;
        File.Move(_temporary, _destination, overwrite: true);
        _completed = File.OpenHandle(_destination, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    /// <inheritdoc />
    public ValueTask<int> ReadCompletedAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _completed is null
            ? throw new InvalidOperationException("The output is not complete yet.")
            : RandomAccess.ReadAsync(_completed, buffer, offset, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _completed?.Dispose();
        if (_handle is not null)
        {
            _handle.Dispose();
            _handle = null;
            File.Delete(_temporary);
        }

        return ValueTask.CompletedTask;
    }

    private SafeFileHandle Open() => _handle ?? throw new InvalidOperationException("The sink is completed or disposed.");

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffered == 0)
        {
            return;
        }

        await RandomAccess.WriteAsync(Open(), _buffer.AsMemory(0, _buffered), _flushed, cancellationToken).ConfigureAwait(false);
        _flushed += _buffered;
        _buffered = 0;
    }
}
