using k8s.Models;

namespace ImageOperator.Api;

/// <summary>A status that reports Kubernetes conditions and the generation they were computed for.</summary>
public interface IConditionedStatus
{
    /// <summary>
    /// Latest observations of the object's state, one per condition type (Ready, Importing, Exporting, Failed,
    /// ...). A False or failed condition carries a reason and a message that say why.
    /// </summary>
    IList<V1Condition> Conditions { get; set; }

    /// <summary>The metadata.generation the operator last acted on.</summary>
    long? ObservedGeneration { get; set; }
}
