using System.Reflection;
using k8s.Models;

namespace ImageOperator.Runtime.Entities;

/// <summary>API coordinates of a custom resource type, read from its <see cref="KubernetesEntityAttribute"/>.</summary>
/// <param name="Group">API group, e.g. <c>imageoperator.io</c>.</param>
/// <param name="Version">API version within the group, e.g. <c>v1alpha1</c>.</param>
/// <param name="Kind">Kind, e.g. <c>CustomImage</c>.</param>
/// <param name="Plural">Plural resource name used in URLs, e.g. <c>customimages</c>.</param>
public sealed record EntityMetadata(string Group, string Version, string Kind, string Plural)
{
    /// <summary><c>group/version</c> as written in <c>apiVersion</c>.</summary>
    public string ApiVersion => string.IsNullOrEmpty(Group) ? Version : $"{Group}/{Version}";

    /// <summary>Resource name for logs and metrics, e.g. <c>customimages.imageoperator.io</c>.</summary>
    public string Resource => string.IsNullOrEmpty(Group) ? Plural : $"{Plural}.{Group}";

    /// <summary>Reads the coordinates of <typeparamref name="TEntity"/>.</summary>
    /// <exception cref="InvalidOperationException">The type lacks the attribute or a required field of it.</exception>
    public static EntityMetadata For<TEntity>() => Cache<TEntity>.Value;

    private static EntityMetadata Read(Type type)
    {
        var attribute = type.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{type.FullName} has no [KubernetesEntity] attribute.");
        if (string.IsNullOrEmpty(attribute.ApiVersion) || string.IsNullOrEmpty(attribute.Kind) || string.IsNullOrEmpty(attribute.PluralName))
        {
            throw new InvalidOperationException($"[KubernetesEntity] on {type.FullName} must set ApiVersion, Kind and PluralName.");
        }

        return new EntityMetadata(attribute.Group ?? string.Empty, attribute.ApiVersion, attribute.Kind, attribute.PluralName);
    }

    private static class Cache<TEntity>
    {
        public static readonly EntityMetadata Value = Read(typeof(TEntity));
    }
}
