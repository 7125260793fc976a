using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ImageOperator.Runtime.Entities;

/// <summary>The list envelope the API server returns for a custom resource collection.</summary>
/// <typeparam name="TEntity">The item type.</typeparam>
public sealed class EntityList<TEntity> : IKubernetesObject<V1ListMeta>, IItems<TEntity>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = string.Empty;

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    [JsonPropertyName("items")]
    public IList<TEntity> Items { get; set; } = [];
}
