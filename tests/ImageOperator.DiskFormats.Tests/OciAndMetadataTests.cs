using System.Buffers.Binary;
using System.Formats.Tar;
using System.Text;
using FluentAssertions;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>
/// <c>.oci</c> archives built with .NET's own tar writer (an independent implementation), and QCOW2 images that
/// carry this engine's metadata extension.
/// </summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class OciAndMetadataTests(ReferenceDisk reference)
{
    private const string MetadataJson = """
        {
          "displayName": "Oracle Linux 8.9 web tier",
          "operatingSystem": "Oracle Linux",
          "operatingSystemVersion": "8.9",
          "launchMode": "PARAVIRTUALIZED",
          "architecture": "x86_64",
          "shapeCompatibilities": [ { "shape": "VM.Standard.E4.Flex", "minOcpus": 1, "maxOcpus": 8 } ],
          "exportedBy": "imageoperator.io",
          "somethingNew": { "ignored": true }
        }
        """;

    [Theory]
    [InlineData(TarEntryFormat.Ustar, "metadata.json", "disk.qcow2")]
    [InlineData(TarEntryFormat.Pax, "image_metadata.json", "output.QCOW2")]
    [InlineData(TarEntryFormat.Gnu, "./metadata.json", "./disk.qcow2")]
    public async Task Reads_the_disk_and_metadata_of_an_oci_archive(TarEntryFormat tarFormat, string metadataName, string diskName)
    {
        var qcow2 = await reference.ConvertAsync("qcow2-compat1.1", "qcow2", ["-o", "compat=1.1"]);
        var archive = reference.NewPath("image.oci");
        await WriteArchiveAsync(archive, tarFormat, (metadataName, Encoding.UTF8.GetBytes(MetadataJson)), (diskName, await File.ReadAllBytesAsync(qcow2)));

        await using var file = FileRangeReader.Open(archive);
        await using var image = await DiskImageReader.OpenAsync(file, DiskFormat.Oci);

        image.Format.Should().Be(DiskFormat.Oci);
        image.Subformat.Should().Be("qcow2 compat=1.1");
        image.VirtualSize.Should().Be(ReferenceDisk.Size);
        image.Metadata.Should().BeEquivalentTo(new ImageMetadata
        {
            DisplayName = "Oracle Linux 8.9 web tier",
            OperatingSystem = "Oracle Linux",
            OperatingSystemVersion = "8.9",
            LaunchMode = "PARAVIRTUALIZED",
            Architecture = "x86_64",
            ShapeCompatibilities = [new ShapeCompatibilityMetadata { Shape = "VM.Standard.E4.Flex", MinOcpus = 1, MaxOcpus = 8 }],
            ExportedBy = "imageoperator.io",
        });
        await ImageVerifier.VerifyAsync(image, reference.Bytes);
    }

    [Fact]
    public async Task Oci_whose_disk_entry_is_not_qcow2_is_a_format_mismatch()
    {
        var vmdk = reference.NewPath("disk.vmdk");
        await QemuImg.RunAsync("create", "-f", "vmdk", vmdk, "1M");
        var archive = reference.NewPath("vmdk.oci");
        await WriteArchiveAsync(archive, TarEntryFormat.Ustar, ("metadata.json", "{}"u8.ToArray()), ("disk.qcow2", await File.ReadAllBytesAsync(vmdk)));

        await ShouldRefuseAsync(archive, ImageProblem.FormatMismatch, "the .oci disk entry 'disk.qcow2' does not contain a QCOW2 image (its content is VMDK)");
    }

    [Fact]
    public async Task Oci_without_a_disk_entry_is_malformed()
    {
        var archive = reference.NewPath("empty.oci");
        await WriteArchiveAsync(archive, TarEntryFormat.Ustar, ("metadata.json", "{}"u8.ToArray()), ("notes.txt", "hello"u8.ToArray()));

        await ShouldRefuseAsync(archive, ImageProblem.Malformed, "has no disk entry (disk.qcow2 or output.QCOW2)");
    }

    [Fact]
    public async Task Oci_with_invalid_metadata_json_is_malformed()
    {
        var archive = reference.NewPath("badjson.oci");
        await WriteArchiveAsync(archive, TarEntryFormat.Ustar, ("metadata.json", "{\"displayName\": 42"u8.ToArray()), ("disk.qcow2", await SmallQcow2BytesAsync()));

        await ShouldRefuseAsync(archive, ImageProblem.Malformed, "the image metadata in the .oci entry 'metadata.json' is not valid");
    }

    [Fact]
    public async Task Oci_with_oversized_metadata_exceeds_the_limits()
    {
        var archive = reference.NewPath("bigjson.oci");
        await WriteArchiveAsync(archive, TarEntryFormat.Ustar, ("metadata.json", new byte[2 << 20]), ("disk.qcow2", await SmallQcow2BytesAsync()));

        await ShouldRefuseAsync(archive, ImageProblem.LimitExceeded, "holds 2097152 bytes, more than the 1048576 allowed");
    }

    [Fact]
    public async Task Oci_cut_inside_its_disk_entry_is_truncated()
    {
        var archive = reference.NewPath("cut.oci");
        await WriteArchiveAsync(archive, TarEntryFormat.Ustar, ("metadata.json", "{}"u8.ToArray()), ("disk.qcow2", await SmallQcow2BytesAsync()));
        await using (var stream = new FileStream(archive, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(4096);
        }

        await ShouldRefuseAsync(archive, ImageProblem.Truncated, "inside the tar entry 'disk.qcow2'");
    }

    [Fact]
    public async Task Qcow2_metadata_extension_is_exposed_and_qemu_still_accepts_the_image()
    {
        var image = reference.NewPath("exported.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", image, "8M");
        await QemuImg.IoAsync(image, "qcow2", "write -P 0x5a 1M 64k");
        AddHeaderExtension(image, Qcow2Constants.ExtensionImageOperatorMetadata, Encoding.UTF8.GetBytes(MetadataJson));

        (await QemuImg.CheckAsync(image)).ExitCode.Should().Be(0, "qemu skips unknown header extensions");
        await using var file = FileRangeReader.Open(image);
        await using var disk = await DiskImageReader.OpenAsync(file);

        disk.Metadata.Should().NotBeNull();
        disk.Metadata!.ExportedBy.Should().Be("imageoperator.io");
        disk.Metadata.ShapeCompatibilities.Should().ContainSingle().Which.Shape.Should().Be("VM.Standard.E4.Flex");
    }

    private async Task<byte[]> SmallQcow2BytesAsync()
    {
        var path = reference.NewPath("small.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", path, "4M");
        return await File.ReadAllBytesAsync(path);
    }

    private static async Task WriteArchiveAsync(string path, TarEntryFormat format, params (string Name, byte[] Data)[] entries)
    {
        await using var stream = File.Create(path);
        await using var writer = new TarWriter(stream, format);
        foreach (var (name, data) in entries)
        {
            TarEntry entry = format switch
            {
                TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, name),
                TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, name),
                _ => new UstarTarEntry(TarEntryType.RegularFile, name),
            };
            entry.DataStream = new MemoryStream(data);
            await writer.WriteEntryAsync(entry);
        }
    }

    /// <summary>Inserts a header extension before the end marker of the QCOW2 header extensions.</summary>
    private static void AddHeaderExtension(string path, uint type, byte[] data)
    {
        var header = new byte[64 << 10];
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Read(file, header, 0);
        var position = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(Qcow2FieldLocations.HeaderLength));
        while (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(position)) != Qcow2Constants.ExtensionEnd)
        {
            position += 8 + (BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(position + 4)) + 7) / 8 * 8;
        }

        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(position), type);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(position + 4), data.Length);
        data.CopyTo(header, position + 8);
        var end = position + 8 + (data.Length + 7) / 8 * 8;
        header.AsSpan(end, 8).Clear();
        RandomAccess.Write(file, header.AsSpan(0, end + 8), 0);
    }

    private static async Task ShouldRefuseAsync(string path, ImageProblem problem, string message)
    {
        await using var file = FileRangeReader.Open(path);
        var open = async () => await DiskImageReader.OpenAsync(file);

        var refusal = (await open.Should().ThrowAsync<DiskImageException>()).Which;
        refusal.Problem.Should().Be(problem, refusal.Message);
        refusal.Message.Should().Contain(message);
    }
}
