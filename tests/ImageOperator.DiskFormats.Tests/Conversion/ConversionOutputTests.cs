using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>Properties of particular outputs: metadata, forward-only sinks, sparse files, VHD sizing, large sparse disks.</summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class ConversionOutputTests(ReferenceDisk reference)
{
    private static readonly ImageMetadata Metadata = new()
    {
        DisplayName = "Oracle Linux 8.9 base",
        OperatingSystem = "Oracle Linux",
        OperatingSystemVersion = "8.9",
        LaunchMode = "PARAVIRTUALIZED",
        Architecture = "x86_64",
        ExportedBy = "imageoperator.io",
        ShapeCompatibilities = [new ShapeCompatibilityMetadata { Shape = "VM.Standard.E4.Flex", MinOcpus = 1, MaxOcpus = 8 }],
    };

    [Theory]
    [InlineData("raw", "qcow2")]
    [InlineData("raw", "vdi")]
    [InlineData("raw", "vhd")]
    [InlineData("raw", "oci")]
    [InlineData("qcow2-zlib", "qcow2")]
    [InlineData("qcow2-zlib", "vdi")]
    [InlineData("qcow2-zlib", "vhd")]
    [InlineData("qcow2-zlib", "oci")]
    public async Task Map_first_formats_written_in_one_pass_are_valid(string source, string output)
    {
        var sourcePath = source == "raw" ? reference.RawPath : await reference.ConvertAsync(source, "qcow2", ["-c"]);
        var (format, compress) = ConvertedImage.Outputs[output];
        var destination = reference.NewPath($"one-pass-{source}.{output}");

        var result = await ConvertedImage.ConvertAsync(sourcePath, destination, format, compress, singlePass: true);

        await ConvertedImage.VerifyAsync(destination, format, result, reference.RawPath);
    }

    [Theory]
    [InlineData("qcow2")]
    [InlineData("vdi")]
    [InlineData("vhd")]
    [InlineData("oci")]
    public async Task Map_from_the_extents_of_an_image_we_wrote_reads_it_once_and_matches_the_scan(string output)
    {
        // Our QCOW2 stores no all-zero cluster, so its extent map is exactly what a scan of its data would find.
        var ours = reference.NewPath($"exact-source-{output}.qcow2");
        await ConvertedImage.ConvertAsync(reference.RawPath, ours, OutputFormat.Qcow2);
        var (format, _) = ConvertedImage.Outputs[output];
        var scanned = reference.NewPath($"exact-scanned.{output}");
        var mapped = reference.NewPath($"exact-mapped.{output}");

        await ConvertedImage.ConvertAsync(ours, scanned, format);
        var result = await ConvertedImage.ConvertAsync(ours, mapped, format, exactAllocation: true);

        await ConvertedImage.VerifyAsync(mapped, format, result, reference.RawPath);
        result.BytesWritten.Should().Be(new FileInfo(scanned).Length, "the extent map of our image allocates what the scan finds");
    }

    [Fact]
    public async Task Map_from_the_extents_of_a_source_with_allocated_zeros_stays_identical_though_less_sparse()
    {
        // qemu keeps the reference's explicitly written zeros allocated: trusting its extent map stores them.
        var foreign = await reference.ConvertAsync("qcow2-preallocation-metadata", "qcow2", ["-o", "preallocation=metadata"]);
        var scanned = reference.NewPath("foreign-scanned.qcow2");
        var mapped = reference.NewPath("foreign-mapped.qcow2");

        await ConvertedImage.ConvertAsync(foreign, scanned, OutputFormat.Qcow2);
        var result = await ConvertedImage.ConvertAsync(foreign, mapped, OutputFormat.Qcow2, exactAllocation: true);

        await ConvertedImage.VerifyAsync(mapped, OutputFormat.Qcow2, result, reference.RawPath);
        result.BytesWritten.Should().BeGreaterThan(new FileInfo(scanned).Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Qcow2_carries_the_metadata_in_its_header_extension(bool compress)
    {
        var destination = reference.NewPath("metadata.qcow2");
        var result = await ConvertedImage.ConvertAsync(reference.RawPath, destination, OutputFormat.Qcow2, compress, Metadata);

        await ConvertedImage.VerifyAsync(destination, OutputFormat.Qcow2, result, reference.RawPath);
        await using var reader = FileRangeReader.Open(destination);
        await using var image = await DiskImageReader.OpenAsync(reader);
        image.Metadata.Should().BeEquivalentTo(Metadata);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Oci_carries_camel_case_metadata_json_and_a_qcow2_with_the_same_metadata(bool compress)
    {
        var destination = reference.NewPath("metadata.oci");
        var result = await ConvertedImage.ConvertAsync(reference.RawPath, destination, OutputFormat.Oci, compress, Metadata);

        await ConvertedImage.VerifyAsync(destination, OutputFormat.Oci, result, reference.RawPath);
        var json = await File.ReadAllTextAsync(Path.Combine(destination + ".extracted", "metadata.json"));
        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("displayName").GetString().Should().Be(Metadata.DisplayName);
        document.RootElement.GetProperty("shapeCompatibilities")[0].GetProperty("minOcpus").GetInt32().Should().Be(1);
        await using var reader = FileRangeReader.Open(destination);
        await using var image = await DiskImageReader.OpenAsync(reader);
        image.Format.Should().Be(DiskFormat.Oci);
        image.Metadata.Should().BeEquivalentTo(Metadata);
    }

    [Fact]
    public async Task Vmdk_streams_to_a_forward_only_stream()
    {
        var destination = reference.NewPath("piped.vmdk");
        await using (var reader = FileRangeReader.Open(reference.RawPath))
        await using (var source = await DiskImageReader.OpenAsync(reader))
        await using (var sink = new StreamImageSink(new ForwardOnlyStream(File.Create(destination))))
        {
            await DiskImageConverter.ConvertAsync(source, sink, new ConversionOptions { Format = OutputFormat.Vmdk });
        }

        await ConvertedImage.VerifyQemuReadsExpectedAsync(destination, "vmdk", reference.RawPath, "raw");
    }

    [Fact]
    public async Task Compressed_qcow2_is_refused_by_a_sink_that_cannot_patch_its_head()
    {
        await using var reader = FileRangeReader.Open(reference.RawPath);
        await using var source = await DiskImageReader.OpenAsync(reader);
        await using var sink = new StreamImageSink(new ForwardOnlyStream(new MemoryStream()));

        var convert = () => DiskImageConverter.ConvertAsync(source, sink, new ConversionOptions { Format = OutputFormat.Qcow2, Compress = true });

        await convert.Should().ThrowAsync<NotSupportedException>().WithMessage("*first cluster*");
    }

    [Fact]
    public async Task Raw_output_is_sparse_on_disk()
    {
        var destination = reference.NewPath("sparse.raw");
        await ConvertedImage.ConvertAsync(reference.RawPath, destination, OutputFormat.Raw);

        var info = await QemuImg.InfoAsync(destination, "raw");
        info.ActualSize.Should().BeLessThan(ReferenceDisk.Size / 3, "holes and zero runs must not be allocated");
    }

    [Fact]
    public async Task Vhd_of_a_size_its_geometry_describes_exactly_keeps_its_own_creator()
    {
        // 1020 cylinders x 4 heads x 17 sectors: the specification's geometry for this size multiplies out exactly.
        var source = reference.NewPath("chs-exact.raw");
        await using (var file = File.Create(source))
        {
            file.SetLength(1020L * 4 * 17 * 512);
            file.Write(Encoding.ASCII.GetBytes("first sector"));
        }

        var destination = reference.NewPath("chs-exact.vhd");
        var result = await ConvertedImage.ConvertAsync(source, destination, OutputFormat.Vhd);

        await ConvertedImage.VerifyAsync(destination, OutputFormat.Vhd, result, source);
        var footer = File.ReadAllBytes(destination).AsSpan(0, 512);
        Encoding.ASCII.GetString(footer.Slice(28, 4)).Should().Be("imop");
        BinaryPrimitives.ReadUInt16BigEndian(footer[56..]).Should().Be(1020);
    }

    [Fact]
    public async Task Vhd_of_an_odd_size_names_a_current_size_creator_so_qemu_reads_the_exact_size()
    {
        var destination = reference.NewPath("odd.vhd");
        var result = await ConvertedImage.ConvertAsync(reference.RawPath, destination, OutputFormat.VhdFixed);

        await ConvertedImage.VerifyAsync(destination, OutputFormat.VhdFixed, result, reference.RawPath);
        var bytes = File.ReadAllBytes(destination);
        Encoding.ASCII.GetString(bytes, bytes.Length - 512 + 28, 4).Should().Be("qem2");
    }

    /// <summary>A stream that refuses to seek, like a pipe or an upload.</summary>
    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
