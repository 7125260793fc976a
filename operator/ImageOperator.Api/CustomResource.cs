using System.Reflection;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ImageOperator.Api;

/// <summary>
/// A custom resource without status: <c>apiVersion</c>, <c>kind</c>, <c>metadata</c> and a typed <c>spec</c>.
/// The API version and kind come from the <see cref="KubernetesEntityAttribute"/> on the concrete class.
/// </summary>
/// <typeparam name="TSpec">Type of the desired state.</typeparam>
public abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>, ISpec<TSpec>
    where TSpec : new()
{
    /// <summary>Sets <see cref="ApiVersion"/> and <see cref="Kind"/> from the class's entity attribute.</summary>
    protected CustomResource()
    {
        var entity = GetType().GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{GetType().Name} lacks [{nameof(KubernetesEntityAttribute)}].");
        ApiVersion = $"{entity.Group}/{entity.ApiVersion}";
        Kind = entity.Kind;
    }

    /// <summary>Versioned schema of this representation of the object, <c>group/version</c>.</summary>
    [JsonPropertyName("apiVersion")]
    [JsonPropertyOrder(-4)]
    public string ApiVersion { get; set; }

    /// <summary>Kind of the object.</summary>
    [JsonPropertyName("kind")]
    [JsonPropertyOrder(-3)]
    public string Kind { get; set; }

    /// <summary>Standard object metadata: name, namespace, labels, annotations, generation.</summary>
    [JsonPropertyName("metadata")]
    [JsonPropertyOrder(-2)]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Desired state.</summary>
    [JsonPropertyName("spec")]
    [JsonPropertyOrder(-1)]
    public TSpec Spec { get; set; } = new();
}

/// <summary>A custom resource with a <c>status</c> subresource written by the operator.</summary>
/// <typeparam name="TSpec">Type of the desired state.</typeparam>
/// <typeparam name="TStatus">Type of the observed state.</typeparam>
public abstract class CustomResource<TSpec, TStatus> : CustomResource<TSpec>, IStatus<TStatus>
    where TSpec : new()
    where TStatus : new()
{
    /// <summary>Observed state, written only by the operator.</summary>
    [JsonPropertyName("status")]
    public TStatus Status { get; set; } = new();
}

/// <summary>A list of custom resources as the API server returns it from a list call.</summary>
/// <typeparam name="T">Type of the items.</typeparam>
public sealed class CustomResourceList<T> : IKubernetesObject<V1ListMeta>, IItems<T>
    where T : IKubernetesObject
{
    /// <summary>Versioned schema of this representation of the list.</summary>
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    /// <summary>Kind of the list, <c>&lt;Kind&gt;List</c>.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <summary>List metadata: resource version and continue token.</summary>
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <summary>The objects.</summary>
    [JsonPropertyName("items")]
    public IList<T> Items { get; set; } = [];
}
