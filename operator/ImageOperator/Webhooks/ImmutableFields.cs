using k8s;

namespace ImageOperator.Webhooks;

/// <summary>Denies changes to fields that are fixed once an object exists.</summary>
public static class ImmutableFields
{
    /// <summary>Records a violation when <paramref name="before"/> and <paramref name="after"/> differ.</summary>
    public static void Check<T>(AdmissionFindings findings, string field, T before, T after, string why)
    {
        ArgumentNullException.ThrowIfNull(findings);
        if (KubernetesJson.Serialize(before!) != KubernetesJson.Serialize(after!))
        {
            findings.Deny(field, $"is immutable: {why}");
        }
    }
}
