using ImageOperator.DiskFormats.Conversion;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>A 6 GiB virtual disk holding a few MiB: conversions stay sparse and cross L2, grain-table and block boundaries.</summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class LargeSparseConversionTests(ReferenceDisk reference)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _source;

    public static TheoryData<string> Outputs => ["qcow2", "qcow2-c", "vmdk", "vdi", "vhd", "oci-c"];

    [Theory]
    [MemberData(nameof(Outputs))]
    public async Task Converts_a_large_sparse_disk(string output)
    {
        var source = await SourceAsync();
        var (format, compress) = ConvertedImage.Outputs[output];
        var destination = reference.NewPath($"large-{output}");

        var result = await ConvertedImage.ConvertAsync(source, destination, format, compress);

        await ConvertedImage.VerifyAsync(destination, format, result, source, "qcow2");
    }

    private async Task<string> SourceAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_source is null || !File.Exists(_source))
            {
                var path = reference.NewPath("large.qcow2");
                await QemuImg.RunAsync("create", "-f", "qcow2", path, "6G");
                await QemuImg.IoAsync(path, "qcow2",
                    "write -P 0x11 0 1M",
                    "write -P 0x22 511M 2M",
                    "write -P 0x33 2049M 64K",
                    "write -P 0x44 4095M 3M",
                    "write -z 4096M 1M",
                    "write -P 0x55 6143M 1M");
                _source = path;
            }

            return _source;
        }
        finally
        {
            Gate.Release();
        }
    }
}
