using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Testing;

namespace ImageOperator.IntegrationTests.Controllers;

/// <summary>Source images for the controller tests, made by qemu-img (and by our engine for <c>.oci</c>).</summary>
public sealed class TestImages : IDisposable
{
    /// <summary>Virtual size of the test disks.</summary>
    public const long DiskSize = 64L << 20;

    private TestImages(string directory) => Directory = directory;

    /// <summary>The folder holding the files; deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>The reference disk: raw, with data in a few places and holes elsewhere.</summary>
    public string Raw => Path.Combine(Directory, "disk.raw");

    /// <summary>Makes the reference disk.</summary>
    public static async Task<TestImages> CreateAsync()
    {
        var images = new TestImages(System.IO.Directory.CreateTempSubdirectory("imageoperator-ctl-").FullName);
        await QemuImg.RunAsync("create", "-f", "raw", images.Raw, DiskSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await QemuImg.IoAsync(images.Raw, "raw", "write -P 0x5a 0 1M", "write -P 0xc3 17M 3M", "write -P 0x01 40M 64k", "write -P 0xee 63M 1M");
        return images;
    }

    /// <summary>
    /// The reference disk in <paramref name="format"/>: <c>qcow2</c>, <c>vmdk-stream</c>, <c>vmdk-sparse</c>,
    /// <c>vhd</c>, <c>vdi</c>, <c>raw</c> (by qemu-img) or <c>oci</c> (by our engine, with <paramref name="metadata"/>).
    /// </summary>
    public async Task<string> InFormatAsync(string format, ImageMetadata? metadata = null)
    {
        var path = Path.Combine(Directory, $"disk.{format}");
        switch (format)
        {
            case "raw":
                return Raw;
            case "qcow2":
                await QemuImg.ConvertAsync(Raw, path, "qcow2");
                break;
            case "vmdk-stream":
                await QemuImg.ConvertAsync(Raw, path, "vmdk", "-o", "subformat=streamOptimized");
                break;
            case "vmdk-sparse":
                await QemuImg.ConvertAsync(Raw, path, "vmdk", "-o", "subformat=monolithicSparse");
                break;
            case "vhd":
                await QemuImg.ConvertAsync(Raw, path, "vpc", "-o", "subformat=dynamic");
                break;
            case "vdi":
                await QemuImg.ConvertAsync(Raw, path, "vdi");
                break;
            case "oci":
                await ConvertWithEngineAsync(Raw, path, OutputFormat.Oci, metadata);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "unknown test format");
        }

        return path;
    }

    /// <summary>Converts a local image with our engine.</summary>
    public static async Task ConvertWithEngineAsync(string source, string destination, OutputFormat format, ImageMetadata? metadata)
    {
        await using var reader = FileRangeReader.Open(source);
        await using var image = await DiskImageReader.OpenAsync(reader);
        await using var sink = FileImageSink.Create(destination);
        await DiskImageConverter.ConvertAsync(image, sink, new ConversionOptions { Format = format, Metadata = metadata });
    }

    /// <inheritdoc />
    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
