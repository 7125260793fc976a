using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;

namespace ImageOperator.CrdGen;

/// <summary>
/// One aspect of the object's state: its type, whether it holds, why, and since when.
/// </summary>
/// <remarks>
/// Stands in for KubernetesClient's <c>V1Condition</c> (Kubernetes <c>metav1.Condition</c>) in the CRD schema, with
/// the same JSON fields and the API machinery's validation rules; only the generator reads it, and a test checks
/// that its JSON fields match <c>V1Condition</c>'s.
/// </remarks>
public sealed class ConditionSchema
{
    /// <summary>Condition status.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<StatusValue>))]
    public enum StatusValue
    {
        /// <summary>The condition holds.</summary>
        True,

        /// <summary>The condition does not hold.</summary>
        False,

        /// <summary>Not known.</summary>
        Unknown,
    }

    /// <summary>Condition type in CamelCase, for example Ready; one condition per type.</summary>
    [JsonPropertyName("type")]
    [Required]
    [Pattern(@"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$")]
    [Length(Max = 316)]
    public string Type { get; set; } = "";

    /// <summary>Whether the condition holds: True, False or Unknown.</summary>
    [JsonPropertyName("status")]
    [Required]
    public StatusValue Status { get; set; }

    /// <summary>Why the condition last changed, as a CamelCase word a program can test.</summary>
    [JsonPropertyName("reason")]
    [Required]
    [Pattern("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")]
    [Length(Min = 1, Max = 1024)]
    public string Reason { get; set; } = "";

    /// <summary>Details of the last change for humans; may be empty.</summary>
    [JsonPropertyName("message")]
    [Required]
    [Length(Max = 32768)]
    public string Message { get; set; } = "";

    /// <summary>The metadata.generation the condition was computed for.</summary>
    [JsonPropertyName("observedGeneration")]
    [Minimum(0)]
    public long? ObservedGeneration { get; set; }

    /// <summary>When the status last changed (not when the reason or message did).</summary>
    [JsonPropertyName("lastTransitionTime")]
    [Required]
    public DateTime LastTransitionTime { get; set; }
}
