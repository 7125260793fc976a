using k8s;

namespace ImageOperator.Webhooks;

/// <summary>Denies changes to fields that are fixed once an object exists.</summary>
public static class ImmutableFields
{
    /// <summary>Records a violation when <paramref name="before"/> and <paramref name="after"/> differ.</summary>
    public static void Check<T>(AdmissionFindings findings, string field, T before, T after, string why)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var changed = before is null || after is null
            ? before is not null || after is not null
            : KubernetesJson.Serialize(before) != KubernetesJson.Serialize(after);
        if (changed)
        {
            findings.Deny(field, $"is immutable: {why}");
        }
    }
}
