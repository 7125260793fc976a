using FluentAssertions;
using ImageOperator.Testing;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>The <c>image-operator convert</c> command as a user runs it: exit codes, one-line errors, no leftovers.</summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class ConvertCommandTests(ReferenceDisk reference)
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "image-operator.dll");

    [Theory]
    [InlineData("vmdk", "vmdk", new string[0])]
    [InlineData("qcow2", "qcow2", new[] { "-c" })]
    [InlineData("vhd-fixed", "vpc", new string[0])]
    public async Task Converts_and_prints_the_sha256_on_request(string format, string qemuFormat, string[] options)
    {
        var destination = reference.NewPath($"cli.{format}");

        var result = await RunAsync(["convert", "-f", "raw", "-O", format, .. options, "--sha256", reference.RawPath, destination]);

        result.ExitCode.Should().Be(0, result.ToString());
        var sha256 = (await ProcessRunner.RunAsync("sha256sum", [destination])).EnsureSuccess().StandardOutput.Split(' ')[0];
        result.StandardOutput.Should().Be($"{sha256}  {destination}\n");
        await ConvertedImage.VerifyQemuReadsExpectedAsync(destination, qemuFormat, reference.RawPath, "raw");
    }

    [Fact]
    public async Task A_truncated_source_fails_with_one_line_and_leaves_no_file()
    {
        var qcow2 = await reference.ConvertAsync("qcow2-compat1.1", "qcow2", ["-o", "compat=1.1"]);
        var folder = reference.NewPath("cli-truncated");
        Directory.CreateDirectory(folder);
        var truncated = Path.Combine(folder, "truncated.qcow2");
        await using (var input = File.OpenRead(qcow2))
        await using (var output = File.Create(truncated))
        {
            await input.CopyToAsync(output);
            output.SetLength(input.Length / 2);
        }

        var result = await RunAsync(["convert", "-O", "vmdk", truncated, Path.Combine(folder, "out.vmdk")]);

        result.ExitCode.Should().Be(1, result.ToString());
        result.StandardError.TrimEnd('\n').Should().StartWith("image-operator: ").And.NotContain("\n");
        Directory.EnumerateFileSystemEntries(folder).Should().Equal(truncated);
    }

    [Fact]
    public async Task A_declared_format_that_does_not_match_is_refused()
    {
        var folder = reference.NewPath("cli-mismatch");
        Directory.CreateDirectory(folder);

        var result = await RunAsync(["convert", "-f", "qcow2", "-O", "raw", reference.RawPath, Path.Combine(folder, "out.raw")]);

        result.ExitCode.Should().Be(1, result.ToString());
        result.StandardError.Should().Contain("FormatMismatch");
        Directory.EnumerateFileSystemEntries(folder).Should().BeEmpty();
    }

    [Theory]
    [InlineData("convert", "-O", "qed", "a", "b")]
    [InlineData("convert", "-O", "raw", "only-source")]
    [InlineData("transmogrify")]
    public async Task Bad_arguments_exit_2_with_usage(params string[] arguments)
    {
        var result = await RunAsync(arguments);

        result.ExitCode.Should().Be(2, result.ToString());
        result.StandardError.Should().StartWith("image-operator: ").And.Contain("usage:");
    }

    private static Task<ProcessResult> RunAsync(string[] arguments) => ProcessRunner.RunAsync("dotnet", [Cli, .. arguments]);
}
