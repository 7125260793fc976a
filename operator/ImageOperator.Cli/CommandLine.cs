using System.Runtime.InteropServices;
using ImageOperator.DiskFormats;

namespace ImageOperator.Cli;

/// <summary>
/// Dispatches <c>image-operator &lt;command&gt; ...</c> to one class per command. Every failure ends as one line
/// on standard error and a non-zero exit code; Ctrl+C and SIGTERM cancel the running command cleanly.
/// </summary>
internal static class CommandLine
{
    private const string Usage = """
        usage: image-operator <command> [options]
          info    [--output human|json] [-f FORMAT] IMAGE      describe and inspect a disk image
          convert [-f FORMAT] -O FORMAT [-c] SOURCE DESTINATION convert a disk image
        formats: raw, qcow2, vmdk, vdi, vhd (alias vpc), vhd-fixed (output only), oci
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancellation.Cancel();
        });

        try
        {
            return args[0] switch
            {
                "info" => await InfoCommand.RunAsync(args[1..], cancellation.Token).ConfigureAwait(false),
                "convert" => await ConvertCommand.RunAsync(args[1..], cancellation.Token).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"image-operator: {e.Message}\n{Usage}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("image-operator: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (DiskImageException e)
        {
            await Console.Error.WriteLineAsync($"image-operator: {e.Problem}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"image-operator: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}

/// <summary>Bad command-line arguments.</summary>
internal sealed class UsageException(string message) : Exception(message);
