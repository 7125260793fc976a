using System.Security.Cryptography;
using FluentAssertions;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.IO;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>Runs the engine's converter on files and judges its outputs with qemu-img.</summary>
internal static class ConvertedImage
{
    /// <summary>Output formats with the compress flag, as the test matrix names them.</summary>
    public static IReadOnlyDictionary<string, (OutputFormat Format, bool Compress)> Outputs { get; } = new Dictionary<string, (OutputFormat, bool)>
    {
        ["raw"] = (OutputFormat.Raw, false),
        ["qcow2"] = (OutputFormat.Qcow2, false),
        ["qcow2-c"] = (OutputFormat.Qcow2, true),
        ["vmdk"] = (OutputFormat.Vmdk, false),
        ["vdi"] = (OutputFormat.Vdi, false),
        ["vhd"] = (OutputFormat.Vhd, false),
        ["vhd-fixed"] = (OutputFormat.VhdFixed, false),
        ["oci"] = (OutputFormat.Oci, false),
        ["oci-c"] = (OutputFormat.Oci, true),
    };

    /// <summary>Opens <paramref name="sourcePath"/> with the engine's reader and converts it to <paramref name="destination"/>.</summary>
    public static async Task<ConversionResult> ConvertAsync(
        string sourcePath, string destination, OutputFormat format, bool compress = false, ImageMetadata? metadata = null, bool singlePass = false,
        bool exactAllocation = false)
    {
        await using var reader = FileRangeReader.Open(sourcePath);
        await using var source = await DiskImageReader.OpenAsync(reader);
        await using var sink = FileImageSink.Create(destination);
        var options = new ConversionOptions
        {
            Format = format, Compress = compress, Metadata = metadata, PreferSinglePass = singlePass, SourceAllocationIsExact = exactAllocation,
        };
        return await DiskImageConverter.ConvertAsync(source, sink, options);
    }

    /// <summary>
    /// Asserts what every output must satisfy: the reported length and SHA-256 are the file's, <c>qemu-img check</c>
    /// finds nothing (where qemu can check the format), and qemu reads exactly the reference bytes and size.
    /// An <c>.oci</c> output must be a tar that GNU tar lists, whose QCOW2 passes the same checks.
    /// </summary>
    public static async Task VerifyAsync(string path, OutputFormat format, ConversionResult result, string expected, string expectedFormat = "raw")
    {
        var bytes = new FileInfo(path).Length;
        result.BytesWritten.Should().Be(bytes);
        await using (var file = File.OpenRead(path))
        {
            Convert.ToHexString(result.Sha256!).Should().Be(Convert.ToHexString(await SHA256.HashDataAsync(file)), "the reported SHA-256 must be the output's");
        }

        if (format == OutputFormat.Oci)
        {
            var qcow2 = await ExtractOciDiskAsync(path);
            await VerifyQemuReadsExpectedAsync(qcow2, "qcow2", expected, expectedFormat);
            return;
        }

        await VerifyQemuReadsExpectedAsync(path, QemuName(format), expected, expectedFormat);
    }

    /// <summary>qemu-img check finds nothing (where it can check), and qemu reads the expected image's size and bytes.</summary>
    public static async Task VerifyQemuReadsExpectedAsync(string path, string qemuFormat, string expected, string expectedFormat)
    {
        var check = await QemuImg.CheckAsync(path, qemuFormat);
        if (!check.StandardError.Contains("does not support checks", StringComparison.Ordinal))
        {
            check.ExitCode.Should().Be(0, $"qemu-img check must find no errors or leaks:\n{check}");
        }

        var info = await QemuImg.InfoAsync(path, qemuFormat);
        var expectedInfo = await QemuImg.InfoAsync(expected, expectedFormat);
        info.VirtualSize.Should().Be(expectedInfo.VirtualSize, "qemu must read back the exact virtual size");
        var compare = await QemuImg.CompareAsync(expected, path, expectedFormat, qemuFormat);
        compare.ExitCode.Should().Be(0, $"qemu must read the reference bytes:\n{compare}");
    }

    /// <summary>Lists the archive with GNU tar (entries in order), extracts it and returns the QCOW2's path.</summary>
    public static async Task<string> ExtractOciDiskAsync(string path)
    {
        var listing = (await ProcessRunner.RunAsync("tar", ["-tf", path])).EnsureSuccess();
        listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal("metadata.json", "disk.qcow2");
        var folder = path + ".extracted";
        Directory.CreateDirectory(folder);
        (await ProcessRunner.RunAsync("tar", ["-xf", path, "-C", folder])).EnsureSuccess();
        return Path.Combine(folder, "disk.qcow2");
    }

    public static string QemuName(OutputFormat format) => format switch
    {
        OutputFormat.Raw => "raw",
        OutputFormat.Qcow2 or OutputFormat.Oci => "qcow2",
        OutputFormat.Vmdk => "vmdk",
        OutputFormat.Vdi => "vdi",
        OutputFormat.Vhd or OutputFormat.VhdFixed => "vpc",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
