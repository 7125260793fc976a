using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// The <c>admission.k8s.io/v1</c> AdmissionReview envelope: the API server sends one with a <see cref="Request"/>,
/// the webhook answers with the same envelope carrying a <see cref="Response"/>.
/// </summary>
public sealed class AdmissionReview
{
    /// <summary>The only API version this webhook server speaks.</summary>
    public const string V1 = "admission.k8s.io/v1";

    /// <summary>The kind of the envelope.</summary>
    public const string ReviewKind = "AdmissionReview";

    /// <summary>Must be <see cref="V1"/>.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Must be <see cref="ReviewKind"/>.</summary>
    public string? Kind { get; set; }

    /// <summary>The attributes of the admission request (set by the API server).</summary>
    public AdmissionRequest? Request { get; set; }

    /// <summary>The webhook's decision (set by the webhook).</summary>
    public AdmissionResponse? Response { get; set; }
}

/// <summary>The request part of an AdmissionReview.</summary>
public sealed class AdmissionRequest
{
    /// <summary>Identifies this admission call; copied into the response.</summary>
    public string? Uid { get; set; }

    /// <summary>The kind of the object being admitted.</summary>
    public GroupVersionKind? Kind { get; set; }

    /// <summary>The resource being admitted.</summary>
    public GroupVersionResource? Resource { get; set; }

    /// <summary>The subresource, if any (e.g. <c>status</c>).</summary>
    public string? SubResource { get; set; }

    /// <summary>The object's name (empty on create with <c>generateName</c>).</summary>
    public string? Name { get; set; }

    /// <summary>The object's namespace.</summary>
    public string? Namespace { get; set; }

    /// <summary><c>CREATE</c>, <c>UPDATE</c>, <c>DELETE</c> or <c>CONNECT</c>.</summary>
    public string? Operation { get; set; }

    /// <summary>Who makes the request.</summary>
    public AdmissionUserInfo? UserInfo { get; set; }

    /// <summary>The new object (absent on delete).</summary>
    public JsonElement? Object { get; set; }

    /// <summary>The existing object (on update and delete).</summary>
    public JsonElement? OldObject { get; set; }

    /// <summary>True when the request will not be persisted: webhooks must not have side effects then.</summary>
    public bool? DryRun { get; set; }
}

/// <summary>The response part of an AdmissionReview.</summary>
public sealed class AdmissionResponse
{
    /// <summary>The <see cref="AdmissionRequest.Uid"/> of the request answered.</summary>
    public string? Uid { get; set; }

    /// <summary>Whether the request is admitted.</summary>
    public bool Allowed { get; set; }

    /// <summary>Why the request was denied (shown to the user).</summary>
    public AdmissionStatus? Status { get; set; }

    /// <summary>Warnings shown to the user (kubectl prints them as <c>Warning: ...</c>).</summary>
    public IReadOnlyList<string>? Warnings { get; set; }

    /// <summary><c>JSONPatch</c> when <see cref="Patch"/> is set.</summary>
    public string? PatchType { get; set; }

    /// <summary>A JSON patch (RFC 6902) to apply to the object; serialised as base64.</summary>
    public byte[]? Patch { get; set; }
}

/// <summary>The status of a denied admission request (a subset of <c>metav1.Status</c>).</summary>
public sealed class AdmissionStatus
{
    /// <summary>An HTTP status code, e.g. 403 or 422.</summary>
    public int Code { get; set; }

    /// <summary>The message the user sees.</summary>
    public string? Message { get; set; }
}

/// <summary>Group, version and kind of an admitted object.</summary>
public sealed class GroupVersionKind
{
    /// <summary>The API group (empty for the core group).</summary>
    public string? Group { get; set; }

    /// <summary>The API version.</summary>
    public string? Version { get; set; }

    /// <summary>The kind.</summary>
    public string? Kind { get; set; }
}

/// <summary>Group, version and resource (plural) of an admitted object.</summary>
public sealed class GroupVersionResource
{
    /// <summary>The API group.</summary>
    public string? Group { get; set; }

    /// <summary>The API version.</summary>
    public string? Version { get; set; }

    /// <summary>The plural resource name.</summary>
    public string? Resource { get; set; }
}

/// <summary>The requesting user.</summary>
public sealed class AdmissionUserInfo
{
    /// <summary>The user name.</summary>
    public string? Username { get; set; }

    /// <summary>The user's unique id.</summary>
    public string? Uid { get; set; }

    /// <summary>The user's groups.</summary>
    public IReadOnlyList<string>? Groups { get; set; }
}

/// <summary>Source-generated (reflection-free, fast) serialisation of the AdmissionReview envelope.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    MaxDepth = 64)]
[JsonSerializable(typeof(AdmissionReview))]
internal sealed partial class AdmissionJsonContext : JsonSerializerContext;
