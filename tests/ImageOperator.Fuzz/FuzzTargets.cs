using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.Fuzz;

/// <summary>
/// The fuzz targets: each runs one parser over an input the way the operator does (inspect, open, enumerate extents,
/// read) and lets through only <see cref="DiskImageException"/>, the engine's typed refusal. Any other exception, a
/// hang or a crash is a bug.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Targets by name: one per parser, and <c>any</c> for detection followed by whichever parser matches.</summary>
    public static IReadOnlyDictionary<string, DiskFormat?> Targets { get; } = new Dictionary<string, DiskFormat?>
    {
        ["any"] = null,
        ["qcow2"] = DiskFormat.Qcow2,
        ["vmdk"] = DiskFormat.Vmdk,
        ["vdi"] = DiskFormat.Vdi,
        ["vhd"] = DiskFormat.Vhd,
        ["oci"] = DiskFormat.Oci,
    };

    /// <summary>
    /// Bounds small enough that one input costs milliseconds: the point is the parsers' handling of hostile
    /// structures, not the size of what they may describe. Built on use: under AFL the engine's instrumented code
    /// may run only once SharpFuzz has set up its coverage map, so none of it may run in this class's static constructor.
    /// </summary>
    public static DiskImageLimits Limits => new()
    {
        MaxVirtualSize = 256L << 20,
        MaxTableBytes = 1L << 20,
        MaxMetadataBytes = 64 << 10,
    };

    private const int MaxExtents = 4096;
    private const int ReadLength = 4 << 10;

    /// <summary>Runs <paramref name="format"/>'s parser (detection first when null) over <paramref name="input"/>.</summary>
    public static void Run(DiskFormat? format, byte[] input) => RunAsync(format, input).AsTask().GetAwaiter().GetResult();

    private static async ValueTask RunAsync(DiskFormat? format, byte[] input)
    {
        await using var source = new StreamRangeReader(new MemoryStream(input, writable: false));
        try
        {
            await using var image = format is { } parser
                ? await DiskImageReader.OpenAsAsync(source, parser, Limits, CancellationToken.None)
                : await DiskImageReader.OpenAsync(source, limits: Limits);
            var buffer = new byte[ReadLength];
            var extents = 0;
            await foreach (var extent in image.GetExtentsAsync())
            {
                if (extent.Kind == ExtentKind.Data)
                {
                    await image.ReadAsync(extent.Offset, buffer.AsMemory(0, (int)Math.Min(buffer.Length, extent.Length)));
                }

                if (++extents == MaxExtents)
                {
                    break;
                }
            }

            var tail = (int)Math.Min(buffer.Length, image.VirtualSize);
            await image.ReadAsync(image.VirtualSize - tail, buffer.AsMemory(0, tail));
        }
        catch (DiskImageException)
        {
            // The typed refusal is the expected outcome for most mutated inputs.
        }
    }
}
