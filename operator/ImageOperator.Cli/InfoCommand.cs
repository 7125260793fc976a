using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Cli;

/// <summary>
/// <c>info [--output human|json] [-f FORMAT] IMAGE</c>: detects, inspects and describes a local image. An image the
/// inspector refuses (unsafe, corrupt, not of the declared format) ends with a non-zero exit code and its reason.
/// </summary>
internal static class InfoCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        DiskFormat? format = null;
        var json = false;
        string? path = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-f":
                    format = FormatNames.Source(Value(args, ref i));
                    break;
                case "--output":
                    json = Value(args, ref i) switch
                    {
                        "json" => true,
                        "human" => false,
                        var other => throw new UsageException($"unknown output '{other}' (json or human)"),
                    };
                    break;
                case var option when option.StartsWith('-') && option.Length > 1:
                    throw new UsageException($"unknown option '{option}'");
                case var argument when path is null:
                    path = argument;
                    break;
                default:
                    throw new UsageException($"unexpected argument '{args[i]}'");
            }
        }

        if (path is null)
        {
            throw new UsageException("info needs an IMAGE");
        }

        await using var reader = FileRangeReader.Open(path);
        await using var image = await DiskImageReader.OpenAsync(reader, format, cancellationToken: cancellationToken).ConfigureAwait(false);
        var report = new ImageInfo(
            image.Format.ToString().ToLowerInvariant(),
            image.Subformat,
            image.VirtualSize,
            image.AllocatedBytes,
            image.Metadata,
            image.Findings);
        Console.Out.WriteLine(json ? JsonSerializer.Serialize(report, InfoJsonContext.Default.ImageInfo) : Human(path, report));
        return 0;
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new UsageException($"{args[i - 1]} needs a value");

    private static string Human(string path, ImageInfo info)
    {
        var lines = new List<string>
        {
            $"image: {path}",
            $"format: {info.Format}",
            $"subformat: {info.Subformat}",
            $"virtual size: {Size(info.VirtualSize)}",
            $"allocated: {Size(info.AllocatedBytes)}",
        };
        if (info.Metadata is { } metadata)
        {
            lines.Add("metadata:");
            lines.AddRange(new (string Name, string? Value)[]
                {
                    ("display name", metadata.DisplayName),
                    ("operating system", metadata.OperatingSystem),
                    ("operating system version", metadata.OperatingSystemVersion),
                    ("launch mode", metadata.LaunchMode),
                    ("architecture", metadata.Architecture),
                    ("exported by", metadata.ExportedBy),
                }
                .Where(field => field.Value is not null)
                .Select(field => $"  {field.Name}: {field.Value}"));
            lines.AddRange(metadata.ShapeCompatibilities.Select(shape => $"  compatible shape: {shape.Shape}"));
        }

        lines.AddRange(info.Findings.Select(finding => $"finding: {finding}"));
        return string.Join('\n', lines);
    }

    private static string Size(long bytes) => bytes < 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes ({bytes / 1048576.0:0.##} MiB)");
}

/// <summary>What <c>info</c> reports; its JSON form is the machine-readable output.</summary>
internal sealed record ImageInfo(
    string Format,
    string Subformat,
    long VirtualSize,
    long AllocatedBytes,
    ImageMetadata? Metadata,
    IReadOnlyList<string> Findings);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(ImageInfo))]
internal sealed partial class InfoJsonContext : JsonSerializerContext;
