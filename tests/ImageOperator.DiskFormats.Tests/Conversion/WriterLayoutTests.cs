using System.Formats.Tar;
using System.Text;
using FluentAssertions;
using ImageOperator.DiskFormats.Formats.Oci;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.Formats.Vhd;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>Pure layout arithmetic of the writers, checked against first principles and System.Formats.Tar.</summary>
public sealed class WriterLayoutTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(32_765)]
    [InlineData(32_766)]
    [InlineData(32_767)]
    [InlineData(32_768)]
    [InlineData(1_000_000)]
    [InlineData(268_435_456)] // 16 TiB of 64 KiB clusters: the table itself needs several clusters
    public void Refcount_structures_cover_every_cluster_including_themselves_and_no_more(long otherClusters)
    {
        var (table, blocks) = Qcow2Layout.RefcountStructures(otherClusters);

        var total = otherClusters + table + blocks;
        (blocks * Qcow2Layout.RefcountsPerBlock).Should().BeGreaterThanOrEqualTo(total, "every cluster needs a refcount");
        ((blocks - 1) * Qcow2Layout.RefcountsPerBlock).Should().BeLessThan(total, "one block fewer would not do");
        (table * Qcow2Layout.ClusterSize / 8).Should().BeGreaterThanOrEqualTo(blocks, "the table must point at every block");
        ((table - 1) * Qcow2Layout.ClusterSize / 8).Should().BeLessThan(blocks);
    }

    [Theory]
    [InlineData(100L << 20)]
    [InlineData(9L << 30)]
    public void Tar_headers_carry_the_entry_size_as_system_formats_tar_reads_it(long size)
    {
        // Forward-only, so the reader does not seek over the (absent) data.
        using var archive = new ForwardOnlyReadStream(TarHeaderWriter.EntryHeaders("disk.qcow2", size, DateTimeOffset.UnixEpoch));
        using var reader = new TarReader(archive);
        var entry = reader.GetNextEntry(copyData: false)!;

        entry.Name.Should().Be("disk.qcow2");
        entry.Length.Should().Be(size);
        entry.EntryType.Should().BeOneOf(TarEntryType.RegularFile, TarEntryType.V7RegularFile);
    }

    [Fact]
    public void A_patched_tar_size_keeps_the_header_checksum_valid()
    {
        var header = TarHeaderWriter.Header("disk.qcow2", 0, DateTimeOffset.UnixEpoch, OciConstants.TypeRegular);
        TarHeaderWriter.SetSize(header, 123_456_789);

        var stored = Convert.ToInt32(Encoding.ASCII.GetString(header, 148, 6), 8);
        header.AsSpan(148, 8).Fill((byte)' ');
        header.Sum(b => b).Should().Be(stored);
        Encoding.ASCII.GetString(header, 124, 11).Should().Be(Convert.ToString(123_456_789, 8).PadLeft(11, '0'));
    }

    [Theory]
    [InlineData(69_360, 1020, 4, 17)]             // 17 sectors per track fits
    [InlineData(4_194_304, 4161, 16, 63)]         // 2 GiB: needs 63 sectors per track
    [InlineData(2_000_000_000, 65535, 16, 255)]   // beyond 65535x16x255: the maximum geometry
    public void Vhd_geometry_follows_the_specification(long sectors, int cylinders, int heads, int sectorsPerTrack)
    {
        VhdFooter.Geometry(sectors).Should().Be(((ushort)cylinders, (byte)heads, (byte)sectorsPerTrack));
    }

    private sealed class ForwardOnlyReadStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
