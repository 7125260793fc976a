using System.Text.Json;

namespace ImageOperator.Testing;

/// <summary>
/// <c>qemu-img</c> (Debian qemu-utils) as the independent oracle for disk images: makes inputs in every format and
/// variant, and judges the engine's outputs (<c>info</c>, <c>check</c>, <c>compare</c>). Installs qemu-utils through
/// <c>tests/stack/provision.sh</c> when it is missing.
/// </summary>
public static class QemuImg
{
    private static readonly Lazy<Task> Available = new(EnsureInstalledAsync);

    /// <summary>Makes sure <c>qemu-img</c> and <c>qemu-io</c> are installed.</summary>
    public static Task EnsureAvailableAsync() => Available.Value;

    /// <summary>Runs <c>qemu-img</c> and throws with its stderr unless it succeeds.</summary>
    public static async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        await EnsureAvailableAsync();
        return (await ProcessRunner.RunAsync("qemu-img", arguments)).EnsureSuccess();
    }

    /// <summary>Runs <c>qemu-img</c> and returns its result whatever the exit code.</summary>
    public static async Task<ProcessResult> TryRunAsync(params string[] arguments)
    {
        await EnsureAvailableAsync();
        return await ProcessRunner.RunAsync("qemu-img", arguments);
    }

    /// <summary>Runs <c>qemu-io</c> commands (e.g. <c>write -z 1M 64k</c>) on an image, in order.</summary>
    public static async Task IoAsync(string path, string format, params string[] commands)
    {
        await EnsureAvailableAsync();
        var arguments = new List<string> { "-f", format };
        foreach (var command in commands)
        {
            arguments.AddRange(["-c", command]);
        }

        arguments.Add(path);
        (await ProcessRunner.RunAsync("qemu-io", arguments)).EnsureSuccess();
    }

    /// <summary>
    /// Converts <paramref name="source"/> to <paramref name="outputFormat"/> (<c>qcow2</c>, <c>vmdk</c>, <c>vpc</c>,
    /// <c>vdi</c>, <c>raw</c>) with extra arguments such as <c>-c</c> or <c>-o cluster_size=4096</c>.
    /// </summary>
    public static Task ConvertAsync(string source, string destination, string outputFormat, params string[] options) =>
        RunAsync(["convert", "-f", "raw", "-O", outputFormat, .. options, source, destination]);

    /// <summary><c>qemu-img info --output=json</c>; pass <paramref name="format"/> for formats qemu does not probe (fixed VHD).</summary>
    public static async Task<QemuImageInfo> InfoAsync(string path, string? format = null)
    {
        var result = await RunAsync(["info", "--output=json", .. FormatArguments(format), path]);
        using var document = JsonDocument.Parse(result.StandardOutput);
        var root = document.RootElement;
        return new QemuImageInfo(
            root.GetProperty("format").GetString()!,
            root.GetProperty("virtual-size").GetInt64(),
            root.TryGetProperty("actual-size", out var actual) ? actual.GetInt64() : 0,
            result.StandardOutput);
    }

    /// <summary><c>qemu-img check</c>: 0 clean, 2 corruption, 3 leaked clusters (see qemu-img(1)).</summary>
    public static async Task<ProcessResult> CheckAsync(string path, string? format = null) =>
        await TryRunAsync(["check", .. FormatArguments(format), path]);

    /// <summary>
    /// <c>qemu-img compare</c> of two images' contents: exit code 0 identical, 1 different (strict mode also
    /// fails when one side allocates what the other leaves as a hole).
    /// </summary>
    public static async Task<ProcessResult> CompareAsync(string first, string second, string? firstFormat = null, string? secondFormat = null, bool strict = false)
    {
        var arguments = new List<string> { "compare" };
        if (firstFormat is not null)
        {
            arguments.AddRange(["-f", firstFormat]);
        }

        if (secondFormat is not null)
        {
            arguments.AddRange(["-F", secondFormat]);
        }

        if (strict)
        {
            arguments.Add("-s");
        }

        arguments.AddRange([first, second]);
        return await TryRunAsync([.. arguments]);
    }

    private static string[] FormatArguments(string? format) => format is null ? [] : ["-f", format];

    private static async Task EnsureInstalledAsync()
    {
        var probe = await ProcessRunner.RunAsync("bash", ["-c", "command -v qemu-img && command -v qemu-io"]);
        if (!probe.Succeeded)
        {
            await Stack.EnsureProvisionedAsync();
        }
    }
}

/// <summary>What <c>qemu-img info</c> says of an image.</summary>
/// <param name="Format">qemu's format name (<c>qcow2</c>, <c>vmdk</c>, <c>vpc</c>, <c>vdi</c>, <c>raw</c>).</param>
/// <param name="VirtualSize">The virtual size in bytes.</param>
/// <param name="ActualSize">Bytes the file occupies on the host file system.</param>
/// <param name="Json">The whole JSON answer, for format-specific fields.</param>
public sealed record QemuImageInfo(string Format, long VirtualSize, long ActualSize, string Json);
