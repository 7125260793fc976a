using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Cli;

/// <summary><c>info [-f FORMAT] IMAGE</c>: opens and inspects a local image and describes it.</summary>
internal static class InfoCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        DiskFormat? format = null;
        string? path = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "-f" && i + 1 < args.Length)
            {
                format = FormatNames.Source(args[++i]);
            }
            else if (path is null && !args[i].StartsWith('-'))
            {
                path = args[i];
            }
            else
            {
                throw new UsageException($"unexpected argument '{args[i]}'");
            }
        }

        if (path is null)
        {
            throw new UsageException("info needs an IMAGE");
        }

        await using var reader = FileRangeReader.Open(path);
        await using var image = await DiskImageReader.OpenAsync(reader, format, cancellationToken: cancellationToken).ConfigureAwait(false);
        Console.Out.WriteLine($"image: {path}");
        Console.Out.WriteLine($"file format: {DiskImageReader.Name(image.Format).ToLowerInvariant()} ({image.Subformat})");
        Console.Out.WriteLine($"virtual size: {image.VirtualSize} bytes");
        Console.Out.WriteLine($"disk size: {image.AllocatedBytes} bytes");
        return 0;
    }
}
