using System.Text;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>
/// A reference raw disk with data, explicit zeros and holes at odd offsets, across the boundaries of every format's
/// tables (VMDK grain tables span 32 MiB, VHD blocks 2 MiB, VDI blocks 1 MiB) and ending in a partial cluster; plus
/// a cache of its conversions by qemu-img.
/// </summary>
public sealed class ReferenceDisk : IAsyncLifetime
{
    /// <summary>65 MiB and 7 sectors: not a multiple of any cluster, grain or block size.</summary>
    public const long Size = (65L << 20) + 7 * 512;

    private readonly SemaphoreSlim _conversions = new(1, 1);
    private readonly Dictionary<string, string> _converted = [];

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"imageoperator-readers-{Guid.NewGuid():N}");

    public string RawPath => Path.Combine(Directory, "reference.raw");

    /// <summary>The disk's bytes.</summary>
    public byte[] Bytes { get; } = new byte[Size];

    /// <summary>The ranges written with data (everything else is a hole, or the explicit zeros).</summary>
    public static IReadOnlyList<(long Offset, int Length, bool Random)> DataRanges { get; } =
    [
        (0, 64 << 10, true),
        ((1 << 20) + 123 * 512, 300 << 10, false),
        ((7 << 20) + 1000, 10000, true),
        (20 << 20, 4 << 20, false),
        ((32 << 20) - 5000, 70000, true),
        (50 << 20, 2 << 20, false),
        (Size - 7000, 7000, true),
    ];

    /// <summary>Explicitly written zeros, which converters should turn into holes or zero clusters.</summary>
    public static (long Offset, int Length) ExplicitZeros { get; } = (40 << 20, 2 << 20);

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var random = new Random(20261123);
        foreach (var (offset, length, isRandom) in DataRanges)
        {
            var span = Bytes.AsSpan((int)offset, length);
            if (isRandom)
            {
                random.NextBytes(span);
            }
            else
            {
                Fill(span, offset);
            }
        }

        await using var file = new FileStream(RawPath, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(Size);
        foreach (var (offset, length, _) in DataRanges)
        {
            file.Position = offset;
            await file.WriteAsync(Bytes.AsMemory((int)offset, length));
        }

        file.Position = ExplicitZeros.Offset;
        await file.WriteAsync(new byte[ExplicitZeros.Length]);
        await QemuImg.EnsureAvailableAsync();
    }

    /// <summary>
    /// Converts the reference with <c>qemu-img convert -O <paramref name="qemuFormat"/></c> once, under
    /// <paramref name="name"/>, then runs <paramref name="qemuIoCommands"/> on the result (e.g. zero writes).
    /// </summary>
    public async Task<string> ConvertAsync(string name, string qemuFormat, string[] options, params string[] qemuIoCommands)
    {
        await _conversions.WaitAsync();
        try
        {
            if (!_converted.TryGetValue(name, out var path))
            {
                path = Path.Combine(Directory, name);
                await QemuImg.ConvertAsync(RawPath, path, qemuFormat, options);
                if (qemuIoCommands.Length > 0)
                {
                    await QemuImg.IoAsync(path, qemuFormat, qemuIoCommands);
                }

                _converted[name] = path;
            }

            return path;
        }
        finally
        {
            _conversions.Release();
        }
    }

    /// <summary>A new file in the fixture's folder with a unique name.</summary>
    public string NewPath(string name) => Path.Combine(Directory, $"{Guid.NewGuid():N}-{name}");

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        _conversions.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Compressible text that still differs from place to place.</summary>
    private static void Fill(Span<byte> span, long offset)
    {
        for (var position = 0; position < span.Length;)
        {
            var line = Encoding.ASCII.GetBytes($"disk byte {offset + position:X10} of the reference image; ");
            var n = Math.Min(line.Length, span.Length - position);
            line.AsSpan(0, n).CopyTo(span[position..]);
            position += n;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ReferenceDiskCollection : ICollectionFixture<ReferenceDisk>
{
    public const string Name = "reference disk";
}
