using System.Buffers.Binary;
using System.Diagnostics;
using FluentAssertions;
using ImageOperator.Fuzz;
using Xunit.Abstractions;

namespace ImageOperator.DiskFormats.Tests;

/// <summary>
/// A short, deterministic fuzzing run of every target in process: thousands of mutations (bit flips, interesting
/// values in header fields and table entries, truncations) of small valid seeds. Only the typed refusal may escape
/// a parser, and no input may hang it. The long AFL++ campaign is described in docs/fuzzing.md.
/// </summary>
public sealed class FuzzSmokeTests(ITestOutputHelper output)
{
    private const int Executions = 1000;

    /// <summary>A hang guard, far above the milliseconds an input takes; not a speed goal.</summary>
    private static readonly TimeSpan MaxTimePerInput = TimeSpan.FromSeconds(5);

    private static readonly ulong[] InterestingValues =
        [0, 1, 0x7F, 0x80, 0xFF, 0x200, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF, 1UL << 40, long.MaxValue, ulong.MaxValue];

    public static TheoryData<string> Targets => [.. FuzzTargets.Targets.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Parser_refuses_mutated_seeds_only_with_typed_errors(string target)
    {
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Seeds", target)).Select(File.ReadAllBytes).ToArray();
        seeds.Should().NotBeEmpty();
        var format = FuzzTargets.Targets[target];
        var random = new Random(target.Length * 7919 + target[0]);
        var slowest = TimeSpan.Zero;
        var total = Stopwatch.StartNew();

        for (var execution = 0; execution < Executions; execution++)
        {
            var input = Mutate(seeds[random.Next(seeds.Length)], random);
            var timer = Stopwatch.StartNew();
            try
            {
                FuzzTargets.Run(format, input);
            }
            catch (Exception e)
            {
                var saved = Path.Combine(Path.GetTempPath(), $"fuzz-{target}-{execution}.bin");
                File.WriteAllBytes(saved, input);
                throw new Xunit.Sdk.XunitException($"input {execution} (saved to {saved}) escaped with {e}");
            }

            timer.Elapsed.Should().BeLessThan(MaxTimePerInput, $"input {execution} must not hang the parser");
            slowest = timer.Elapsed > slowest ? timer.Elapsed : slowest;
        }

        output.WriteLine($"{target}: {Executions} executions in {total.Elapsed.TotalSeconds:0.0} s, slowest input {slowest.TotalMilliseconds:0} ms");
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = (byte[])seed.Clone();
        for (var mutations = 1 + random.Next(4); mutations > 0 && data.Length > 8; mutations--)
        {
            var position = Position(data.Length - 8, random);
            var value = InterestingValues[random.Next(InterestingValues.Length)];
            switch (random.Next(6))
            {
                case 0:
                    data[position] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data[position] = (byte)value;
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(position), (uint)value);
                    break;
                case 3:
                    BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(position), (uint)value);
                    break;
                case 4:
                    BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(position), value);
                    break;
                default:
                    data = data[..random.Next(data.Length)];
                    break;
            }
        }

        return data;
    }

    /// <summary>Mostly in the first kilobyte, where headers and the first tables live; otherwise anywhere.</summary>
    private static int Position(int limit, Random random) =>
        random.Next(3) < 2 ? random.Next(Math.Min(limit, 1024)) : random.Next(limit);
}
