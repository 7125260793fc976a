using FluentAssertions;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>A sparse raw file's holes come out as zero extents (never read or scanned), its data as data.</summary>
public sealed class SparseRawReadingTests : IDisposable
{
    private const int MiB = 1 << 20;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"imageoperator-sparse-{Guid.NewGuid():N}.raw");

    [Fact]
    public async Task Holes_of_a_sparse_raw_file_are_zero_extents_and_its_data_reads_back()
    {
        var data = new byte[64 << 10];
        new Random(7).NextBytes(data);
        await using (var file = File.Create(_path))
        {
            file.SetLength(16 * MiB);
            file.Position = 5 * MiB;
            await file.WriteAsync(data);
        }

        await using var reader = FileRangeReader.Open(_path);
        await using var image = await DiskImageReader.OpenAsync(reader, DiskFormat.Raw);
        var dataExtents = new List<Extent>();
        await foreach (var extent in image.GetExtentsAsync())
        {
            if (extent.Kind == ExtentKind.Data)
            {
                dataExtents.Add(extent);
            }
        }

        // File systems allocate in blocks of a few KiB at most: the data extent is the written range, rounded out.
        dataExtents.Should().ContainSingle();
        dataExtents[0].Offset.Should().BeInRange(4 * MiB, 5 * MiB);
        dataExtents[0].End.Should().BeInRange((5 * MiB) + data.Length, 6 * MiB);
        var disk = new byte[16 * MiB];
        await image.ReadAsync(0, disk);
        disk.AsSpan(5 * MiB, data.Length).SequenceEqual(data).Should().BeTrue();
        disk.AsSpan(0, 5 * MiB).ContainsAnyExcept((byte)0).Should().BeFalse();
        disk.AsSpan((5 * MiB) + data.Length).ContainsAnyExcept((byte)0).Should().BeFalse();
    }

    [Fact]
    public async Task A_raw_file_without_holes_is_one_data_extent()
    {
        await File.WriteAllBytesAsync(_path, Enumerable.Repeat((byte)0x5A, 3 * MiB).ToArray());

        await using var reader = FileRangeReader.Open(_path);
        await using var image = await DiskImageReader.OpenAsync(reader, DiskFormat.Raw);
        var extents = new List<Extent>();
        await foreach (var extent in image.GetExtentsAsync())
        {
            extents.Add(extent);
        }

        extents.Should().Equal(new Extent(0, 3 * MiB, ExtentKind.Data));
    }

    public void Dispose() => File.Delete(_path);
}
