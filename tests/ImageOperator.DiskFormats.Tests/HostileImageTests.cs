using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FluentAssertions;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.Formats.Vhd;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>
/// Images that must be refused before any data is read: references to other files, encryption, unknown features,
/// self-declared corruption, tables outside the file or beyond the limits, decompression bombs.
/// </summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class HostileImageTests(ReferenceDisk reference)
{
    [Fact]
    public async Task Qcow2_with_a_backing_file_is_refused_without_opening_it()
    {
        var backing = await SmallQcow2Async();
        var overlay = reference.NewPath("overlay.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);

        await ShouldRefuseAsync(overlay, ImageProblem.BackingFile, $"backing file '{backing}'");
    }

    [Fact]
    public async Task Qcow2_with_an_external_data_file_is_refused()
    {
        var dataFile = reference.NewPath("data.raw");
        var image = reference.NewPath("external.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", "-o", $"data_file={dataFile}", image, "8M");

        await ShouldRefuseAsync(image, ImageProblem.ExternalData, $"external data file '{dataFile}'");
    }

    [Fact]
    public async Task Qcow2_with_an_encryption_method_is_refused()
    {
        var image = await SmallQcow2Async();
        PatchUInt32BigEndian(image, Qcow2FieldLocations.CryptMethod, 1);

        await ShouldRefuseAsync(image, ImageProblem.Encrypted, "encrypted (crypt_method 1)");
    }

    [Theory]
    [InlineData(10, ImageProblem.Unsupported, "unknown incompatible feature bits (10)")]
    [InlineData(1, ImageProblem.MarkedCorrupt, "marked corrupt")]
    [InlineData(0, ImageProblem.MarkedCorrupt, "dirty")]
    public async Task Qcow2_incompatible_feature_bits_are_refused(int bit, ImageProblem problem, string message)
    {
        var image = await SmallQcow2Async();
        PatchUInt64(image, Qcow2FieldLocations.IncompatibleFeatures, 1UL << bit);

        await ShouldRefuseAsync(image, problem, message);
    }

    [Fact]
    public async Task Qcow2_cut_inside_its_header_is_truncated()
    {
        var image = await SmallQcow2Async();
        Truncate(image, 90);

        await ShouldRefuseAsync(image, ImageProblem.Truncated, "QCOW2 version 3 header");
    }

    [Fact]
    public async Task Qcow2_cut_inside_its_L1_table_is_truncated()
    {
        var image = await SmallQcow2Async();
        Truncate(image, (long)ReadUInt64(image, Qcow2FieldLocations.L1TableOffset) + 4);

        await ShouldRefuseAsync(image, ImageProblem.Truncated, "inside the QCOW2 L1 table");
    }

    [Fact]
    public async Task Qcow2_with_an_absurd_l1_size_exceeds_the_limits()
    {
        var image = await SmallQcow2Async();
        PatchUInt32BigEndian(image, Qcow2FieldLocations.L1Size, 0x1000_0000);

        await ShouldRefuseAsync(image, ImageProblem.LimitExceeded, "l1_size 268435456");
    }

    [Fact]
    public async Task Qcow2_with_an_absurd_virtual_size_exceeds_the_limits()
    {
        var image = await SmallQcow2Async();
        PatchUInt64(image, Qcow2FieldLocations.Size, 1UL << 62, replace: true);

        await ShouldRefuseAsync(image, ImageProblem.LimitExceeded, "virtual size 4611686018427387904 exceeds");
    }

    [Fact]
    public async Task Qcow2_L1_table_beyond_the_end_of_the_file_is_malformed()
    {
        var image = await SmallQcow2Async();
        PatchUInt64(image, Qcow2FieldLocations.L1TableOffset, 1UL << 40, replace: true);

        await ShouldRefuseAsync(image, ImageProblem.Malformed, "L1 table at offset 1099511627776 lies beyond the end of the file");
    }

    [Fact]
    public async Task Qcow2_L2_table_beyond_the_end_of_the_file_is_malformed()
    {
        var image = await SmallQcow2Async();
        var l1 = (long)ReadUInt64(image, Qcow2FieldLocations.L1TableOffset);
        PatchUInt64(image, l1, Qcow2Constants.CopiedFlag | (1UL << 40), replace: true);

        await ShouldRefuseAsync(image, ImageProblem.Malformed, "L2 table of L1 entry 0 at offset 1099511627776 lies beyond the end of the file");
    }

    [Fact]
    public async Task Qcow2_compressed_cluster_that_inflates_beyond_its_cluster_is_refused_when_read()
    {
        var image = await SmallQcow2Async();
        var bomb = RawDeflate(new byte[16 << 20]);
        var bombOffset = AppendAligned(image, bomb);
        var l2 = (long)(ReadUInt64(image, (long)ReadUInt64(image, Qcow2FieldLocations.L1TableOffset)) & Qcow2Constants.OffsetMask);
        const int offsetBits = 62 - (16 - 8);
        var extraSectors = (ulong)((bomb.Length + 511) / 512 - 1);
        PatchUInt64(image, l2, Qcow2Constants.CompressedFlag | (extraSectors << offsetBits) | (ulong)bombOffset, replace: true);

        await using var file = FileRangeReader.Open(image);
        await using var disk = await DiskImageReader.OpenAsync(file);
        var read = async () => await disk.ReadAsync(0, new byte[4096]);

        (await read.Should().ThrowAsync<DiskImageException>())
            .Which.Should().Match<DiskImageException>(e => e.Problem == ImageProblem.LimitExceeded && e.Message.Contains("inflates beyond the 65536-byte block"));
    }

    [Fact]
    public async Task Vmdk_descriptor_file_pointing_at_a_host_file_is_refused_without_opening_it()
    {
        var descriptor = reference.NewPath("flat.vmdk");
        await File.WriteAllTextAsync(descriptor, """
            # Disk DescriptorFile
            version=1
            CID=12345678
            parentCID=ffffffff
            createType="monolithicFlat"

            # Extent description
            RW 4 FLAT "/etc/passwd" 0
            """);

        await ShouldRefuseAsync(descriptor, ImageProblem.ExternalData, "FLAT '/etc/passwd'");
    }

    [Fact]
    public async Task Vmdk_with_a_parent_is_refused()
    {
        var parent = reference.NewPath("parent.vmdk");
        var child = reference.NewPath("child.vmdk");
        await QemuImg.RunAsync("create", "-f", "vmdk", parent, "8M");
        await QemuImg.RunAsync("create", "-f", "vmdk", "-b", parent, "-F", "vmdk", child);

        await ShouldRefuseAsync(child, ImageProblem.BackingFile, "depends on a parent disk (parentCID=");
    }

    [Theory]
    [InlineData("createType=\"monolithicSparse\"", "createType=\"vmfsSparse\"", ImageProblem.Unsupported, "createType 'vmfsSparse' is not supported")]
    [InlineData("# The Disk Data Base", "RW 16 FLAT \"/dev/sda\" 0\n# The Disk Data Base", ImageProblem.ExternalData, "FLAT extent '/dev/sda'")]
    [InlineData("parentCID=ffffffff", "parentCID=0badc0de", ImageProblem.BackingFile, "parentCID=0badc0de")]
    public async Task Vmdk_embedded_descriptor_must_describe_only_this_file(string original, string replacement, ImageProblem problem, string message)
    {
        var image = reference.NewPath("sparse.vmdk");
        await QemuImg.RunAsync("create", "-f", "vmdk", image, "8M");
        var bytes = await File.ReadAllBytesAsync(image);
        var descriptorOffset = 512;
        var text = Encoding.ASCII.GetString(bytes, descriptorOffset, 10 * 512).TrimEnd('\0');
        text.Should().Contain(original);
        var patched = Encoding.ASCII.GetBytes(text.Replace(original, replacement, StringComparison.Ordinal));
        Array.Clear(bytes, descriptorOffset, 10 * 512);
        patched.CopyTo(bytes, descriptorOffset);
        await File.WriteAllBytesAsync(image, bytes);

        await ShouldRefuseAsync(image, problem, message);
    }

    [Fact]
    public async Task Vhd_differencing_disk_is_refused()
    {
        var image = reference.NewPath("diff.vhd");
        await QemuImg.RunAsync("create", "-f", "vpc", "-o", "subformat=dynamic", image, "8M");
        var length = new FileInfo(image).Length;
        foreach (var footer in new[] { 0L, length - VhdConstants.FooterSize })
        {
            PatchUInt32BigEndianWithChecksum(image, footer, VhdFooterFieldLocations.DiskType, VhdConstants.DiskTypeDifferencing);
        }

        await ShouldRefuseAsync(image, ImageProblem.BackingFile, "differencing disk");
    }

    [Fact]
    public async Task Vhd_with_a_wrong_checksum_is_malformed()
    {
        var image = reference.NewPath("bad.vhd");
        await QemuImg.RunAsync("create", "-f", "vpc", "-o", "subformat=dynamic", image, "8M");
        PatchUInt32BigEndian(image, VhdFooterFieldLocations.Checksum, 0x12345678);

        await ShouldRefuseAsync(image, ImageProblem.Malformed, "checksum 0x12345678 does not match");
    }

    [Theory]
    [InlineData(0x4C, 4u, "differencing image")]
    [InlineData(0x4C, 3u, "undo image")]
    [InlineData(0x1B8, 0xDEADBEEFu, "non-zero parent or link UUID")]
    public async Task Vdi_that_depends_on_a_parent_is_refused(int offset, uint value, string message)
    {
        var image = reference.NewPath("child.vdi");
        await QemuImg.RunAsync("create", "-f", "vdi", image, "8M");
        PatchUInt32LittleEndian(image, offset, value);

        await ShouldRefuseAsync(image, ImageProblem.BackingFile, message);
    }

    [Fact]
    public async Task Vdi_block_map_entry_beyond_the_image_is_malformed_when_read()
    {
        var image = reference.NewPath("map.vdi");
        await QemuImg.RunAsync("create", "-f", "vdi", image, "8M");
        PatchUInt32LittleEndian(image, ReadUInt32LittleEndian(image, 0x154), 1000);

        await using var file = FileRangeReader.Open(image);
        await using var disk = await DiskImageReader.OpenAsync(file);
        var read = async () => await disk.ReadAsync(0, new byte[512]);

        (await read.Should().ThrowAsync<DiskImageException>())
            .Which.Should().Match<DiskImageException>(e => e.Problem == ImageProblem.Malformed && e.Message.Contains("points at block 1000"));
    }

    [Theory]
    [InlineData(DiskFormat.Vmdk, "the source does not contain a VMDK image: its content is a QCOW2 image")]
    [InlineData(DiskFormat.Raw, "the source does not contain a RAW image: its content is a QCOW2 image")]
    public async Task Declared_format_must_match_the_content(DiskFormat declared, string message)
    {
        var image = await SmallQcow2Async();

        await ShouldRefuseAsync(image, ImageProblem.FormatMismatch, message, declared);
    }

    private async Task<string> SmallQcow2Async()
    {
        var path = reference.NewPath("small.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", path, "8M");
        await QemuImg.IoAsync(path, "qcow2", "write -P 0xab 0 128k");
        return path;
    }

    private static async Task ShouldRefuseAsync(string path, ImageProblem problem, string message, DiskFormat? declared = null)
    {
        await using var file = FileRangeReader.Open(path);
        var open = async () => await DiskImageReader.OpenAsync(file, declared);

        var refusal = (await open.Should().ThrowAsync<DiskImageException>()).Which;
        refusal.Problem.Should().Be(problem, refusal.Message);
        refusal.Message.Should().Contain(message);
    }

    private static ulong ReadUInt64(string path, long offset)
    {
        using var file = File.OpenHandle(path);
        var buffer = new byte[8];
        RandomAccess.Read(file, buffer, offset);
        return BinaryPrimitives.ReadUInt64BigEndian(buffer);
    }

    private static uint ReadUInt32LittleEndian(string path, long offset)
    {
        using var file = File.OpenHandle(path);
        var buffer = new byte[4];
        RandomAccess.Read(file, buffer, offset);
        return BinaryPrimitives.ReadUInt32LittleEndian(buffer);
    }

    /// <summary>Writes a big-endian u64, or ORs it into the existing value.</summary>
    private static void PatchUInt64(string path, long offset, ulong value, bool replace = false)
    {
        var buffer = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, replace ? value : ReadUInt64(path, offset) | value);
        Write(path, offset, buffer);
    }

    private static void PatchUInt32BigEndian(string path, long offset, uint value)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, value);
        Write(path, offset, buffer);
    }

    private static void PatchUInt32LittleEndian(string path, long offset, uint value)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        Write(path, offset, buffer);
    }

    private static void PatchUInt32BigEndianWithChecksum(string path, long footerOffset, int field, uint value)
    {
        var footer = new byte[VhdConstants.FooterSize];
        using (var file = File.OpenHandle(path))
        {
            RandomAccess.Read(file, footer, footerOffset);
        }

        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(field), value);
        BinaryPrimitives.WriteUInt32BigEndian(footer.AsSpan(VhdFooterFieldLocations.Checksum), VhdChecksum.Compute(footer, VhdFooterFieldLocations.Checksum));
        Write(path, footerOffset, footer);
    }

    private static void Write(string path, long offset, byte[] bytes)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Write(file, bytes, offset);
    }

    private static void Truncate(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(length);
    }

    private static long AppendAligned(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        var offset = (file.Length + 511) / 512 * 512;
        file.Position = offset;
        file.Write(bytes);
        return offset;
    }

    private static byte[] RawDeflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize))
        {
            deflate.Write(data);
        }

        return output.ToArray();
    }
}
