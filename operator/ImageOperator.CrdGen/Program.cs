using ImageOperator.Api.V1Alpha1;
using ImageOperator.CrdGen;

// crdgen --output <dir> [--chart-output <dir>]: writes one CRD manifest per API type into each folder and
// removes manifests of this API group that no longer have a type.
string? output = null;
string? chartOutput = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--output" when i + 1 < args.Length:
            output = args[++i];
            break;
        case "--chart-output" when i + 1 < args.Length:
            chartOutput = args[++i];
            break;
        default:
            Console.Error.WriteLine($"crdgen: unexpected argument '{args[i]}'.");
            Console.Error.WriteLine("usage: crdgen --output <dir> [--chart-output <dir>]");
            return 2;
    }
}

if (output is null)
{
    Console.Error.WriteLine("usage: crdgen --output <dir> [--chart-output <dir>]");
    return 2;
}

var crds = CrdGenerator.Generate(typeof(CustomImage).Assembly);
foreach (var folder in chartOutput is null ? [output] : new[] { output, chartOutput })
{
    CrdFolder.Write(folder, crds, Groups.ImageOperator);
    Console.WriteLine($"crdgen: wrote {crds.Count} CRDs to {folder}");
}

return 0;
