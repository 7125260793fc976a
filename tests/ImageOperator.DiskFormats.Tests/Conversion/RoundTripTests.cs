using System.Collections.Concurrent;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>
/// The engine's own outputs as sources: every format converted by the engine to every other, read back by qemu
/// identical to the reference disk (the engine reads what it writes, and what it writes from itself is valid).
/// </summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class RoundTripTests(ReferenceDisk reference)
{
    /// <summary>First legs are shared by the test cases (xUnit makes an instance per case), keyed by fixture folder and format.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> FirstLegs = new();

    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var first in ConvertedImage.Outputs.Keys)
        {
            foreach (var second in ConvertedImage.Outputs.Keys)
            {
                data.Add(first, second);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Engine_output_converts_to_every_format(string first, string second)
    {
        var intermediate = await FirstLegAsync(first);
        var (format, compress) = ConvertedImage.Outputs[second];
        var destination = reference.NewPath($"{first}-then-{second}");

        var result = await ConvertedImage.ConvertAsync(intermediate, destination, format, compress);

        await ConvertedImage.VerifyAsync(destination, format, result, reference.RawPath);
    }

    private Task<string> FirstLegAsync(string name) =>
        FirstLegs.GetOrAdd(Path.Combine(reference.Directory, name), _ => new Lazy<Task<string>>(async () =>
        {
            var (format, compress) = ConvertedImage.Outputs[name];
            var path = reference.NewPath($"leg-{name}");
            await ConvertedImage.ConvertAsync(reference.RawPath, path, format, compress);
            return path;
        })).Value;
}
