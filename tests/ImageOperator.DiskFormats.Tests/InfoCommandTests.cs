using System.Text.Json;
using FluentAssertions;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>The <c>image-operator info</c> command as a user runs it: both outputs, and one-line refusals.</summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class InfoCommandTests(ReferenceDisk reference)
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "image-operator.dll");

    [Fact]
    public async Task Json_output_describes_the_image()
    {
        var image = await reference.ConvertAsync("qcow2-zlib", "qcow2", ["-c"]);

        var result = await RunAsync("info", "--output", "json", image);

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        root.GetProperty("format").GetString().Should().Be("qcow2");
        root.GetProperty("subformat").GetString().Should().Be("compat=1.1");
        root.GetProperty("virtualSize").GetInt64().Should().Be(ReferenceDisk.Size);
        root.GetProperty("allocatedBytes").GetInt64().Should().Be(new FileInfo(image).Length);
        root.GetProperty("findings").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Human_output_names_format_subformat_and_sizes()
    {
        var image = await reference.ConvertAsync("vhd-fixed", "vpc", ["-o", "subformat=fixed"]);
        var virtualSize = (await QemuImg.InfoAsync(image, "vpc")).VirtualSize;

        var result = await RunAsync("info", image);

        result.ExitCode.Should().Be(0, result.ToString());
        result.StandardOutput.Should().Contain("format: vhd\n").And.Contain("subformat: fixed\n").And.Contain($"virtual size: {virtualSize} bytes");
    }

    [Fact]
    public async Task An_unsafe_image_exits_1_with_one_line_naming_the_problem()
    {
        var backing = reference.NewPath("info-base.qcow2");
        var overlay = reference.NewPath("info-overlay.qcow2");
        await QemuImg.RunAsync("create", "-f", "qcow2", backing, "1M");
        await QemuImg.RunAsync("create", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay);

        var result = await RunAsync("info", overlay);

        result.ExitCode.Should().Be(1, result.ToString());
        result.StandardOutput.Should().BeEmpty();
        result.StandardError.Should().StartWith("image-operator: BackingFile: the QCOW2 image has a backing file").And.EndWith("refused\n");
        result.StandardError.TrimEnd('\n').Should().NotContain("\n");
    }

    [Fact]
    public async Task A_declared_format_that_does_not_match_exits_1()
    {
        var result = await RunAsync("info", "-f", "vdi", reference.RawPath);

        result.ExitCode.Should().Be(1, result.ToString());
        result.StandardError.Should().Be("image-operator: FormatMismatch: the source does not contain a VDI image: its content is not a recognised image format (raw data)\n");
    }

    [Fact]
    public async Task An_unknown_output_is_a_usage_error()
    {
        var result = await RunAsync("info", "--output", "yaml", reference.RawPath);

        result.ExitCode.Should().Be(2, result.ToString());
        result.StandardError.Should().StartWith("image-operator: unknown output 'yaml' (json or human)");
    }

    private static Task<ProcessResult> RunAsync(params string[] arguments) => ProcessRunner.RunAsync("dotnet", [Cli, .. arguments]);
}
