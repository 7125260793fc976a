using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;
using k8s.Models;

namespace ImageOperator.Api;

/// <summary>Base of the statuses that report conditions: the conditions and the generation they describe.</summary>
public abstract class ConditionedStatus : IConditionedStatus
{
    /// <summary>
    /// Latest observations of the object's state, one per condition type (Ready, Importing, Exporting, Failed,
    /// ...). A False or failed condition carries a reason and a message that say why.
    /// </summary>
    [JsonPropertyName("conditions")]
    [ListMapKeys("type")]
    public IList<V1Condition> Conditions { get; set; } = [];

    /// <summary>The metadata.generation the operator last acted on.</summary>
    [JsonPropertyName("observedGeneration")]
    [Minimum(0)]
    public long? ObservedGeneration { get; set; }
}
