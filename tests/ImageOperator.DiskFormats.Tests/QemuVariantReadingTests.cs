using System.Buffers.Binary;
using FluentAssertions;
using ImageOperator.DiskFormats.Formats.Vmdk;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>
/// Every format variant qemu-img writes, read back by the engine: exactly the reference bytes, a consistent extent
/// map, and the virtual size qemu-img reports.
/// </summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class QemuVariantReadingTests(ReferenceDisk reference)
{
    /// <summary>A variant: qemu's format and options, what the engine must report, and zero writes done after conversion.</summary>
    public sealed record Variant(
        string QemuFormat,
        string[] Options,
        DiskFormat Format,
        string Subformat,
        bool Sparse = true,
        string[]? ZeroWrites = null);

    private static readonly Dictionary<string, Variant> Variants = new()
    {
        ["qcow2-compat0.10"] = new("qcow2", ["-o", "compat=0.10"], DiskFormat.Qcow2, "compat=0.10"),
        ["qcow2-compat1.1"] = new("qcow2", ["-o", "compat=1.1"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-zlib"] = new("qcow2", ["-c"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-zlib-compat0.10"] = new("qcow2", ["-c", "-o", "compat=0.10"], DiskFormat.Qcow2, "compat=0.10"),
        ["qcow2-zstd"] = new("qcow2", ["-c", "-o", "compression_type=zstd"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-cluster512"] = new("qcow2", ["-o", "cluster_size=512"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-cluster4k"] = new("qcow2", ["-o", "cluster_size=4096"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-cluster64k"] = new("qcow2", ["-o", "cluster_size=65536"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-cluster2m"] = new("qcow2", ["-o", "cluster_size=2M"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-cluster2m-zstd"] = new("qcow2", ["-c", "-o", "cluster_size=2M,compression_type=zstd"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-extended-l2"] = new("qcow2", ["-o", "extended_l2=on,cluster_size=32K"], DiskFormat.Qcow2, "compat=1.1",
            ZeroWrites: ["write -z 20M 3K", "write -z 21089K 70K"]),
        ["qcow2-extended-l2-zlib"] = new("qcow2", ["-c", "-o", "extended_l2=on,cluster_size=64K"], DiskFormat.Qcow2, "compat=1.1"),
        ["qcow2-zero-clusters"] = new("qcow2", ["-o", "compat=1.1"], DiskFormat.Qcow2, "compat=1.1",
            ZeroWrites: ["write -z 20M 1M", "write -z 50M 64K"]),
        ["qcow2-preallocation-metadata"] = new("qcow2", ["-o", "preallocation=metadata"], DiskFormat.Qcow2, "compat=1.1", Sparse: false),
        ["vmdk-monolithicSparse"] = new("vmdk", ["-o", "subformat=monolithicSparse"], DiskFormat.Vmdk, "monolithicSparse"),
        ["vmdk-streamOptimized"] = new("vmdk", ["-o", "subformat=streamOptimized"], DiskFormat.Vmdk, "streamOptimized"),
        ["vhd-dynamic"] = new("vpc", ["-o", "subformat=dynamic"], DiskFormat.Vhd, "dynamic"),
        ["vhd-fixed"] = new("vpc", ["-o", "subformat=fixed"], DiskFormat.Vhd, "fixed", Sparse: false),
        ["vhd-dynamic-force-size"] = new("vpc", ["-o", "subformat=dynamic,force_size=on"], DiskFormat.Vhd, "dynamic"),
        ["vdi-dynamic"] = new("vdi", [], DiskFormat.Vdi, "dynamic"),
        ["vdi-static"] = new("vdi", ["-o", "static=on"], DiskFormat.Vdi, "static", Sparse: false),
        ["raw"] = new("raw", [], DiskFormat.Raw, "raw", Sparse: false),
    };

    public static TheoryData<string> VariantNames => [.. Variants.Keys];

    [Theory]
    [MemberData(nameof(VariantNames))]
    public async Task Reads_every_byte_of_the_qemu_variant(string name)
    {
        var variant = Variants[name];
        var path = await reference.ConvertAsync(name, variant.QemuFormat, variant.Options, variant.ZeroWrites ?? []);
        var expected = ExpectedBytes(variant);

        await using var file = FileRangeReader.Open(path);
        await using var image = await DiskImageReader.OpenAsync(file, variant.Format);
        var info = await QemuImg.InfoAsync(path, variant.QemuFormat);

        image.Format.Should().Be(variant.Format);
        image.Subformat.Should().Be(variant.Subformat);
        image.VirtualSize.Should().Be(info.VirtualSize, "the virtual size must match qemu-img info");
        image.VirtualSize.Should().BeGreaterThanOrEqualTo(ReferenceDisk.Size);
        image.Findings.Should().BeEmpty();

        var extents = await ImageVerifier.VerifyAsync(image, expected);
        if (variant.Sparse)
        {
            extents.Where(e => e.Kind == ExtentKind.Zero).Sum(e => e.Length)
                .Should().BeGreaterThan(ReferenceDisk.Size / 2, "holes and explicit zeros are reported as Zero extents");
        }
    }

    [Theory]
    [InlineData("qcow2", "1T", DiskFormat.Qcow2)]
    [InlineData("vdi", "1T", DiskFormat.Vdi)]
    [InlineData("vpc", "1T", DiskFormat.Vhd)]
    [InlineData("vmdk", "64G", DiskFormat.Vmdk)]
    public async Task Large_empty_disks_map_as_one_zero_extent(string qemuFormat, string size, DiskFormat format)
    {
        var path = reference.NewPath($"empty.{qemuFormat}");
        await QemuImg.RunAsync("create", "-f", qemuFormat, path, size);

        await using var file = FileRangeReader.Open(path);
        await using var image = await DiskImageReader.OpenAsync(file, format);
        var extents = new List<Extent>();
        await foreach (var extent in image.GetExtentsAsync())
        {
            extents.Add(extent);
        }

        extents.Should().Equal(new Extent(0, (await QemuImg.InfoAsync(path)).VirtualSize, ExtentKind.Zero));
    }

    /// <summary>
    /// qemu-img writes streamOptimized files with the grain directory up front; VMware's layout (and the engine's
    /// writer) puts it at the end, found through the footer. This moves qemu's file to that layout.
    /// </summary>
    [Fact]
    public async Task StreamOptimized_vmdk_with_its_grain_directory_at_the_end_is_read_through_the_footer()
    {
        var qemuStream = await reference.ConvertAsync("vmdk-streamOptimized", "vmdk", ["-o", "subformat=streamOptimized"]);
        var path = reference.NewPath("gd-at-end.vmdk");
        var bytes = await File.ReadAllBytesAsync(qemuStream);
        var header = bytes[..VmdkConstants.HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(VmdkFieldLocations.GrainDirectoryOffset), VmdkConstants.GrainDirectoryAtEnd);
        var footerMarker = new byte[VmdkConstants.SectorSize];
        BinaryPrimitives.WriteUInt64LittleEndian(footerMarker, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(footerMarker.AsSpan(VmdkFieldLocations.MarkerType), VmdkConstants.MarkerFooter);
        await File.WriteAllBytesAsync(path, [.. bytes, .. footerMarker, .. header, .. new byte[VmdkConstants.SectorSize]]);

        await using var file = FileRangeReader.Open(path);
        await using var image = await DiskImageReader.OpenAsync(file, DiskFormat.Vmdk);

        image.Subformat.Should().Be("streamOptimized");
        await ImageVerifier.VerifyAsync(image, reference.Bytes);
    }

    [Fact]
    public async Task StreamOptimized_vmdk_without_its_footer_is_malformed()
    {
        var path = reference.NewPath("no-footer.vmdk");
        var bytes = await File.ReadAllBytesAsync(await reference.ConvertAsync("vmdk-streamOptimized", "vmdk", ["-o", "subformat=streamOptimized"]));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(VmdkFieldLocations.GrainDirectoryOffset), VmdkConstants.GrainDirectoryAtEnd);
        await File.WriteAllBytesAsync(path, bytes);
        await using var file = FileRangeReader.Open(path);

        var open = async () => await DiskImageReader.OpenAsync(file);

        (await open.Should().ThrowAsync<DiskImageException>()).Which.Should().Match<DiskImageException>(e =>
            e.Problem == ImageProblem.Malformed && e.Message.Contains("does not end with a footer and an end-of-stream marker"));
    }

    private byte[] ExpectedBytes(Variant variant)
    {
        if (variant.ZeroWrites is null)
        {
            return reference.Bytes;
        }

        var bytes = (byte[])reference.Bytes.Clone();
        foreach (var write in variant.ZeroWrites)
        {
            var parts = write.Split(' ');
            Array.Clear(bytes, (int)ParseSize(parts[2]), (int)ParseSize(parts[3]));
        }

        return bytes;
    }

    private static long ParseSize(string text) => text[^1] switch
    {
        'K' => long.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture) << 10,
        'M' => long.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture) << 20,
        _ => long.Parse(text, System.Globalization.CultureInfo.InvariantCulture),
    };
}
