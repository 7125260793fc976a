using k8s.Models;

namespace ImageOperator.Api;

/// <summary>A status that reports Kubernetes conditions and the generation they were computed for.</summary>
public interface IConditionedStatus
{
    /// <summary>The conditions, at most one per type.</summary>
    IList<V1Condition> Conditions { get; set; }

    /// <summary>The metadata.generation the conditions describe.</summary>
    long? ObservedGeneration { get; set; }
}
