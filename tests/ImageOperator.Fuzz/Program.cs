using ImageOperator.Fuzz;
using SharpFuzz;

// Entry point for AFL++ (see docs/fuzzing.md): `ImageOperator.Fuzz <target>` reads one input per run from AFL.
if (args.Length != 1 || !FuzzTargets.Targets.TryGetValue(args[0], out var format))
{
    Console.Error.WriteLine($"usage: ImageOperator.Fuzz <{string.Join('|', FuzzTargets.Targets.Keys)}>");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var input = new MemoryStream();
    stream.CopyTo(input);
    FuzzTargets.Run(format, input.ToArray());
});
return 0;
