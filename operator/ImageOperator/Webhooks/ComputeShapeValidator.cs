using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Webhooks;

namespace ImageOperator.Webhooks;

/// <summary>
/// Admission rules of <see cref="ComputeShape"/>: the flexible ranges lie within the shape's largest OCPU count and
/// memory, with min ≤ max, so that the shape rules of images can rely on them.
/// </summary>
public sealed class ComputeShapeValidator : ValidationWebhook<ComputeShape>
{
    /// <inheritdoc />
    public override ValueTask<ValidationResult> CreateAsync(ComputeShape entity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Check(entity));

    /// <inheritdoc />
    public override ValueTask<ValidationResult> UpdateAsync(ComputeShape oldEntity, ComputeShape newEntity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Check(newEntity));

    private static ValidationResult Check(ComputeShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var findings = new AdmissionFindings();
        var spec = shape.Spec;
        CheckRange(findings, "spec.ocpuOptions", "min", "max", spec.OcpuOptions?.Min, spec.OcpuOptions?.Max, spec.Ocpus, "ocpus");
        CheckRange(findings, "spec.memoryOptions", "minInGBs", "maxInGBs", spec.MemoryOptions?.MinInGBs, spec.MemoryOptions?.MaxInGBs, spec.MemoryInGBs, "memoryInGBs");
        return findings.ToResult();
    }

    private static void CheckRange(AdmissionFindings findings, string field, string minName, string maxName, int? min, int? max, int largest, string largestName)
    {
        if (max > largest)
        {
            findings.Deny($"{field}.{maxName}", $"{max} exceeds spec.{largestName} {largest} (the largest value of the shape)");
        }

        if (min > largest)
        {
            findings.Deny($"{field}.{minName}", $"{min} exceeds spec.{largestName} {largest} (the largest value of the shape)");
        }

        if (min > max)
        {
            findings.Deny($"{field}.{minName}", $"{min} is greater than {maxName} {max} (min must not exceed max)");
        }
    }
}
