using ImageOperator.Api.V1Alpha1;

namespace ImageOperator.Webhooks;

/// <summary>What the shape rules need to know about an image.</summary>
/// <param name="OperatingSystem">The image's release, when known.</param>
/// <param name="Architecture">The guest architecture.</param>
/// <param name="BuiltOn">The hardware generation the image was built on, when known.</param>
public sealed record ImageTraits(ResolvedOperatingSystemVersion? OperatingSystem, CpuArchitecture Architecture, HardwareGeneration? BuiltOn);

/// <summary>
/// SPEC §6: every compatibility entry names a known ComputeShape; its OCPU and memory bounds lie within the shape's
/// and min ≤ max; the hardware-generation matrix holds; Windows runs only on processor generation v3 or later with
/// at least 2 vCPUs and 4 GB of memory; the image's architecture is the shape's.
/// </summary>
public static class ShapeCompatibilityRules
{
    /// <summary>Smallest vCPU count of a Windows instance.</summary>
    public const int WindowsMinVcpus = 2;

    /// <summary>Smallest memory of a Windows instance, in GB.</summary>
    public const int WindowsMinMemoryGBs = 4;

    /// <summary>
    /// Checks the entries of <c>{prefix}.shapeCompatibilities</c>. Entries equal to one in
    /// <paramref name="previous"/> (an update) are not checked again, so that editing an image is not blocked by
    /// a shape that left the catalogue since.
    /// </summary>
    public static async ValueTask CheckAsync(
        AdmissionFindings findings,
        string prefix,
        IList<ShapeCompatibility>? entries,
        IList<ShapeCompatibility>? previous,
        ImageTraits image,
        IAdmissionLookup lookup,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(lookup);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (entries?.Count ?? 0); i++)
        {
            var entry = entries![i];
            var field = $"{prefix}.shapeCompatibilities[{i}]";
            if (!seen.Add(entry.Shape))
            {
                findings.Deny($"{field}.shape", $"shape '{entry.Shape}' is listed twice (one compatibility entry per shape)");
                continue;
            }

            if (previous?.Any(old => SameEntry(old, entry)) == true)
            {
                continue;
            }

            var shape = await lookup.FindShapeAsync(entry.Shape, cancellationToken).ConfigureAwait(false);
            if (shape is null)
            {
                findings.Deny($"{field}.shape", $"no ComputeShape named '{entry.Shape}' (an entry must name a shape of the catalogue: kubectl get computeshapes)");
                continue;
            }

            CheckEntry(findings, field, entry, shape, image);
        }
    }

    private static void CheckEntry(AdmissionFindings findings, string field, ShapeCompatibility entry, ComputeShape shape, ImageTraits image)
    {
        var spec = shape.Spec;
        var name = entry.Shape;
        var ocpus = CheckRange(findings, $"{field}.ocpuConstraints", "min", "max", entry.OcpuConstraints?.Min, entry.OcpuConstraints?.Max,
            spec.OcpuOptions?.Min ?? (spec.OcpuOptions is null ? spec.Ocpus : 1), spec.OcpuOptions?.Max ?? spec.Ocpus, name, "OCPUs");
        var memory = CheckRange(findings, $"{field}.memoryConstraints", "minInGBs", "maxInGBs", entry.MemoryConstraints?.MinInGBs, entry.MemoryConstraints?.MaxInGBs,
            spec.MemoryOptions?.MinInGBs ?? (spec.MemoryOptions is null ? spec.MemoryInGBs : 1), spec.MemoryOptions?.MaxInGBs ?? spec.MemoryInGBs, name, "GB of memory");

        if (image.Architecture != spec.Architecture)
        {
            findings.Deny($"{field}.shape", $"the image's architecture {Wire(image.Architecture)} differs from shape '{name}''s {Wire(spec.Architecture)} (architecture must match the shape)");
        }

        if (image.OperatingSystem?.Release is not { } release)
        {
            return;
        }

        if (OperatingSystems.IsWindows(release.OperatingSystem))
        {
            CheckWindows(findings, field, shape, ocpus.Min, memory.Min);
        }

        if (image.BuiltOn is { } builtOn)
        {
            var (verdict, rule) = HardwareGenerationMatrix.Evaluate(builtOn, spec.HardwareGeneration, release);
            switch (verdict)
            {
                case GenerationVerdict.Incompatible:
                    findings.Deny($"{field}.shape", $"shape '{name}' is {spec.HardwareGeneration} hardware: {rule} (hardware-generation rule)");
                    break;
                case GenerationVerdict.NeedsKernelUpdate:
                    findings.Warn($"{field}.shape", rule);
                    break;
            }
        }
    }

    private static void CheckWindows(AdmissionFindings findings, string field, ComputeShape shape, int minOcpus, int minMemory)
    {
        var spec = shape.Spec;
        if (spec.ProcessorGeneration < ProcessorGeneration.V3)
        {
            findings.Deny($"{field}.shape", $"shape '{shape.Metadata.Name}' has a {Wire(spec.ProcessorGeneration)} processor; Windows needs processor generation v3 or later");
        }

        if (minOcpus * spec.VcpusPerOcpu < WindowsMinVcpus)
        {
            findings.Deny(spec.OcpuOptions is null ? $"{field}.shape" : $"{field}.ocpuConstraints.min",
                $"an instance of shape '{shape.Metadata.Name}' may have {minOcpus * spec.VcpusPerOcpu} vCPU(s); Windows needs at least {WindowsMinVcpus} vCPUs"
                + (spec.OcpuOptions is null ? string.Empty : $" (set ocpuConstraints.min to at least {(WindowsMinVcpus + spec.VcpusPerOcpu - 1) / spec.VcpusPerOcpu})"));
        }

        if (minMemory < WindowsMinMemoryGBs)
        {
            findings.Deny(spec.MemoryOptions is null ? $"{field}.shape" : $"{field}.memoryConstraints.minInGBs",
                $"an instance of shape '{shape.Metadata.Name}' may have {minMemory} GB of memory; Windows needs at least {WindowsMinMemoryGBs} GB"
                + (spec.MemoryOptions is null ? string.Empty : $" (set memoryConstraints.minInGBs to at least {WindowsMinMemoryGBs})"));
        }
    }

    /// <summary>Checks optional bounds against the shape's range and returns the range an instance may actually use.</summary>
    private static (int Min, int Max) CheckRange(
        AdmissionFindings findings, string field, string minName, string maxName, int? min, int? max, int shapeMin, int shapeMax, string shape, string unit)
    {
        if (min is { } low && (low < shapeMin || low > shapeMax))
        {
            findings.Deny($"{field}.{minName}", $"{low} is outside the {Range(shapeMin, shapeMax)} {unit} of shape '{shape}' (bounds must lie within the shape's limits)");
        }

        if (max is { } high && (high < shapeMin || high > shapeMax))
        {
            findings.Deny($"{field}.{maxName}", $"{high} is outside the {Range(shapeMin, shapeMax)} {unit} of shape '{shape}' (bounds must lie within the shape's limits)");
        }

        if (min > max)
        {
            findings.Deny($"{field}.{minName}", $"{min} is greater than {maxName} {max} (min must not exceed max)");
        }

        return (Math.Max(min ?? shapeMin, shapeMin), Math.Min(max ?? shapeMax, shapeMax));
    }

    private static string Range(int min, int max) => min == max ? $"{min}" : $"{min}-{max}";

    private static bool SameEntry(ShapeCompatibility a, ShapeCompatibility b) =>
        a.Shape == b.Shape
        && a.OcpuConstraints?.Min == b.OcpuConstraints?.Min && a.OcpuConstraints?.Max == b.OcpuConstraints?.Max
        && a.MemoryConstraints?.MinInGBs == b.MemoryConstraints?.MinInGBs && a.MemoryConstraints?.MaxInGBs == b.MemoryConstraints?.MaxInGBs;

    private static string Wire(CpuArchitecture architecture) => architecture == CpuArchitecture.I386 ? "i386" : "x86_64";

    private static string Wire(ProcessorGeneration generation) => "v" + ((int)generation + 1);
}
