namespace ImageOperator.Runtime.Webhooks;

/// <summary>The admission operation being reviewed.</summary>
public enum AdmissionOperation
{
    /// <summary>An object is created.</summary>
    Create,

    /// <summary>An object is updated.</summary>
    Update,

    /// <summary>An object is deleted.</summary>
    Delete,
}

/// <summary>What a webhook may need to know about the request besides the object(s).</summary>
/// <param name="Operation">The operation reviewed.</param>
/// <param name="Namespace">The namespace of the object (empty for cluster-scoped objects).</param>
/// <param name="Name">The object's name (may be empty on create with <c>generateName</c>).</param>
/// <param name="UserName">The requesting user.</param>
/// <param name="DryRun">True when nothing will be persisted.</param>
public sealed record AdmissionContext(
    AdmissionOperation Operation,
    string Namespace,
    string Name,
    string UserName,
    bool DryRun);
