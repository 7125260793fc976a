using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>
/// Every source variant qemu-img writes (plus an <c>.oci</c> packed by GNU tar), converted by the engine to every
/// output format, judged by qemu-img: check clean, contents and size identical to the reference disk.
/// </summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class ConversionMatrixTests(ReferenceDisk reference)
{
    private static readonly Dictionary<string, (string QemuFormat, string[] Options)> Sources = new()
    {
        ["raw"] = ("raw", []),
        ["qcow2-compat0.10"] = ("qcow2", ["-o", "compat=0.10"]),
        ["qcow2-compat1.1"] = ("qcow2", ["-o", "compat=1.1"]),
        ["qcow2-zlib"] = ("qcow2", ["-c"]),
        ["qcow2-zstd"] = ("qcow2", ["-c", "-o", "compression_type=zstd"]),
        ["qcow2-cluster4k"] = ("qcow2", ["-o", "cluster_size=4096"]),
        ["qcow2-cluster2m"] = ("qcow2", ["-o", "cluster_size=2M"]),
        ["vmdk-monolithicSparse"] = ("vmdk", ["-o", "subformat=monolithicSparse"]),
        ["vmdk-streamOptimized"] = ("vmdk", ["-o", "subformat=streamOptimized"]),
        ["vhd-dynamic"] = ("vpc", ["-o", "subformat=dynamic,force_size=on"]),
        ["vhd-fixed"] = ("vpc", ["-o", "subformat=fixed,force_size=on"]),
        ["vdi-dynamic"] = ("vdi", []),
        ["vdi-static"] = ("vdi", ["-o", "static=on"]),
    };

    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var source in Sources.Keys.Append("oci"))
        {
            foreach (var output in ConvertedImage.Outputs.Keys)
            {
                data.Add(source, output);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Converts_the_source_variant_to_the_output_format(string source, string output)
    {
        var sourcePath = await SourceAsync(source);
        var (format, compress) = ConvertedImage.Outputs[output];
        var destination = reference.NewPath($"{source}-to-{output}");

        var result = await ConvertedImage.ConvertAsync(sourcePath, destination, format, compress);

        await ConvertedImage.VerifyAsync(destination, format, result, reference.RawPath);
    }

    private async Task<string> SourceAsync(string name)
    {
        if (name != "oci")
        {
            var (qemuFormat, options) = Sources[name];
            return await reference.ConvertAsync(name, qemuFormat, options);
        }

        var qcow2 = await reference.ConvertAsync("qcow2-compat1.1", "qcow2", ["-o", "compat=1.1"]);
        var folder = reference.NewPath("oci-source");
        Directory.CreateDirectory(folder);
        File.Copy(qcow2, Path.Combine(folder, "disk.qcow2"));
        await File.WriteAllTextAsync(Path.Combine(folder, "metadata.json"), """{"displayName":"packed by GNU tar"}""");
        var archive = folder + ".oci";
        (await ProcessRunner.RunAsync("tar", ["--format=ustar", "-cf", archive, "-C", folder, "metadata.json", "disk.qcow2"])).EnsureSuccess();
        return archive;
    }
}
