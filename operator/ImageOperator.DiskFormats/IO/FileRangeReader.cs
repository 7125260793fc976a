using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageOperator.DiskFormats.IO;

/// <summary>
/// An <see cref="IRangeReader"/> over a local file, using positional reads (no shared file pointer). On Linux it
/// also reports the file's holes (<c>lseek</c> with <c>SEEK_DATA</c>/<c>SEEK_HOLE</c>).
/// </summary>
public sealed class FileRangeReader : IDataRangeReader
{
    private readonly SafeFileHandle _handle;
    private volatile bool _holesUnknown = !OperatingSystem.IsLinux();

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
    public bool TryFindData(long offset, out long dataStart, out long dataEnd)
    {
        dataStart = dataEnd = Length;
        if (offset >= Length)
        {
            return true;
        }

        if (_holesUnknown)
        {
            return false;
        }

        try
        {
            var data = LinuxSeek.Seek(_handle, offset, LinuxSeek.Data);
            if (data < 0)
            {
                // ENXIO: no data at or after the offset. Anything else: the file system cannot tell.
                return Marshal.GetLastPInvokeError() == LinuxSeek.NoSuchDeviceOrAddress || GiveUp();
            }

            var hole = LinuxSeek.Seek(_handle, data, LinuxSeek.Hole);
            if (data < offset || hole <= data)
            {
                return GiveUp();
            }

            dataStart = Math.Min(data, Length);
            dataEnd = Math.Min(hole, Length);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return GiveUp();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool GiveUp()
    {
        _holesUnknown = true;
        return false;
    }

    /// <summary>Linux <c>lseek</c> with its sparse-file whence values (they differ on other systems).</summary>
    private static class LinuxSeek
    {
        public const int Data = 3;
        public const int Hole = 4;
        public const int NoSuchDeviceOrAddress = 6;

        [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
        public static extern long Seek(SafeFileHandle handle, long offset, int whence);
    }
}
