using k8s;
using k8s.Models;

namespace ImageOperator.Runtime.Entities;

/// <summary>Identity of an entity in caches and work queues: namespace (null for cluster-scoped) and name.</summary>
public readonly record struct ObjectKey(string? Namespace, string Name)
{
    /// <summary>The key of <paramref name="entity"/>.</summary>
    public static ObjectKey Of(IKubernetesObject<V1ObjectMeta> entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var name = entity.Metadata?.Name ?? throw new ArgumentException("The entity has no metadata.name.", nameof(entity));
        return new ObjectKey(string.IsNullOrEmpty(entity.Metadata.NamespaceProperty) ? null : entity.Metadata.NamespaceProperty, name);
    }

    /// <summary><c>namespace/name</c>, or <c>name</c> for cluster-scoped entities (the kubectl convention).</summary>
    public override string ToString() => Namespace is null ? Name : $"{Namespace}/{Name}";
}
