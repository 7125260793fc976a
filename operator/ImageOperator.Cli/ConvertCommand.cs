using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Cli;

/// <summary>
/// <c>convert [-f SRC_FORMAT] -O FORMAT [-c] [--sha256] [-p] SOURCE DESTINATION</c>: converts a
/// local image. The destination appears only when the conversion succeeded.
/// </summary>
internal static class ConvertCommand
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        DiskFormat? sourceFormat = null;
        OutputFormat? outputFormat = null;
        bool compress = false, printDigest = false, showProgress = false;
        var paths = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-f":
                    sourceFormat = FormatNames.Source(Value(args, ref i));
                    break;
                case "-O":
                    outputFormat = FormatNames.Output(Value(args, ref i));
                    break;
                case "-c":
                    compress = true;
                    break;
                case "-p":
                    showProgress = true;
                    break;
                case "--sha256":
                    printDigest = true;
                    break;
                case var option when option.StartsWith('-') && option.Length > 1:
                    throw new UsageException($"unknown option '{option}'");
                default:
                    paths.Add(args[i]);
                    break;
            }
        }

        if (outputFormat is null || paths.Count != 2)
        {
            throw new UsageException("convert needs -O FORMAT, a SOURCE and a DESTINATION");
        }

        var options = new ConversionOptions { Format = outputFormat.Value, Compress = compress, ComputeSha256 = printDigest, PreferSinglePass = true };
        await using var reader = FileRangeReader.Open(paths[0]);
        await using var source = await DiskImageReader.OpenAsync(reader, sourceFormat, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var sink = FileImageSink.Create(paths[1]);
        var progress = showProgress ? new ConsoleProgress() : null;
        var result = await DiskImageConverter.ConvertAsync(source, sink, options, progress, cancellationToken).ConfigureAwait(false);
        if (printDigest)
        {
            Console.Out.WriteLine($"{Convert.ToHexStringLower(result.Sha256!)}  {paths[1]}");
        }

        return 0;
    }

    private static string Value(string[] args, ref int index) =>
        ++index < args.Length ? args[index] : throw new UsageException($"option {args[index - 1]} needs a value");

    /// <summary>Prints "phase: NN%" on standard error as the conversion advances.</summary>
    private sealed class ConsoleProgress : IProgress<ConversionProgress>
    {
        private int _last = -1;

        public void Report(ConversionProgress value)
        {
            var percent = value.BytesTotal == 0 ? 100 : (int)(value.BytesDone * 100 / value.BytesTotal);
            if (percent != _last)
            {
                _last = percent;
                Console.Error.Write($"\r{value.Phase.ToString().ToLowerInvariant()}: {percent,3}%{(percent == 100 ? "\n" : "")}");
            }
        }
    }
}
