using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>An object in a bucket of one of the operator's configured object stores.</summary>
public sealed class ObjectStoreLocation
{
    /// <summary>
    /// Name of the object store (the operator's configured S3 endpoint, which plays the role of a region).
    /// Omit it to use the default store.
    /// </summary>
    [JsonPropertyName("store")]
    [Pattern(Patterns.NamespaceName)]
    [Length(Max = 63)]
    public string? Store { get; set; }

    /// <summary>Bucket name.</summary>
    [JsonPropertyName("bucket")]
    [Required]
    [Pattern(Patterns.BucketName)]
    public string Bucket { get; set; } = "";

    /// <summary>
    /// Object name (key) inside the bucket. It is data, never a path: no empty, <c>.</c> or <c>..</c> segments, no
    /// leading <c>/</c>, backslashes, control characters or percent-encoded forms of these.
    /// </summary>
    [JsonPropertyName("object")]
    [Required]
    [Length(Min = 1, Max = 1024)]
    public string Object { get; set; } = "";

    /// <summary>
    /// A Secret in this namespace holding the object store keys to use for this transfer only (keys
    /// <c>accessKey</c> and <c>secretKey</c>), instead of the operator's own keys. The operator's grants do not apply
    /// then: the keys carry the authority. Omit it to use the operator's keys, within the grants configured for this
    /// namespace.
    /// </summary>
    [JsonPropertyName("credentialsSecretRef")]
    public LocalSecretReference? CredentialsSecretRef { get; set; }
}

/// <summary>A Secret in the namespace of the object that refers to it.</summary>
public sealed class LocalSecretReference
{
    /// <summary>Name of the Secret.</summary>
    [JsonPropertyName("name")]
    [Required]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string Name { get; set; } = "";
}

/// <summary>A key of a Secret in the namespace of the object that refers to it.</summary>
public sealed class SecretKeyReference
{
    /// <summary>Name of the Secret.</summary>
    [JsonPropertyName("name")]
    [Required]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string Name { get; set; } = "";

    /// <summary>Key inside the Secret's data.</summary>
    [JsonPropertyName("key")]
    [Required]
    [Pattern(Patterns.SecretKey)]
    [Length(Max = 253)]
    public string Key { get; set; } = "";
}

/// <summary>
/// An object-storage URL: <c>https://&lt;host&gt;/n/&lt;namespace&gt;/b/&lt;bucket&gt;/o/&lt;object&gt;</c>,
/// an S3 path-style URL <c>https://&lt;host&gt;/&lt;bucket&gt;/&lt;object&gt;</c>, or a pre-authenticated
/// (pre-signed) URL. Give the URL itself when it is not secret, or a Secret key holding it when it grants access
/// (a pre-authenticated URL is shown once and must never appear in status, events or logs).
/// </summary>
[ExactlyOneOf("url", "secretRef")]
public sealed class UrlLocation
{
    /// <summary>The URL, when it holds no credentials.</summary>
    [JsonPropertyName("url")]
    [Pattern(Patterns.HttpUrl)]
    [Length(Max = 4096)]
    public string? Url { get; set; }

    /// <summary>Secret key whose value is the URL, for pre-authenticated or pre-signed URLs.</summary>
    [JsonPropertyName("secretRef")]
    public SecretKeyReference? SecretRef { get; set; }
}

/// <summary>A reference to a namespaced object of this API group.</summary>
public sealed class ObjectReference
{
    /// <summary>Namespace of the object; omit it for the namespace of the referring object.</summary>
    [JsonPropertyName("namespace")]
    [Pattern(Patterns.NamespaceName)]
    [Length(Max = 63)]
    public string? Namespace { get; set; }

    /// <summary>Name of the object.</summary>
    [JsonPropertyName("name")]
    [Required]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string Name { get; set; } = "";
}

/// <summary>Bounds on the OCPU count of an instance.</summary>
public sealed class OcpuRange
{
    /// <summary>Smallest allowed OCPU count.</summary>
    [JsonPropertyName("min")]
    [Minimum(1)]
    public int? Min { get; set; }

    /// <summary>Largest allowed OCPU count.</summary>
    [JsonPropertyName("max")]
    [Minimum(1)]
    public int? Max { get; set; }
}

/// <summary>Bounds on the memory of an instance, in gigabytes.</summary>
public sealed class MemoryRange
{
    /// <summary>Smallest allowed memory, in gigabytes.</summary>
    [JsonPropertyName("minInGBs")]
    [Minimum(1)]
    public int? MinInGBs { get; set; }

    /// <summary>Largest allowed memory, in gigabytes.</summary>
    [JsonPropertyName("maxInGBs")]
    [Minimum(1)]
    public int? MaxInGBs { get; set; }
}

/// <summary>A shape an image may be launched on, optionally bounding the OCPUs and memory allowed on it.</summary>
public sealed class ShapeCompatibility
{
    /// <summary>Name of the ComputeShape object (for example <c>vm.standard2.1</c>).</summary>
    [JsonPropertyName("shape")]
    [Required]
    [Pattern(Patterns.ObjectName)]
    [Length(Max = 253)]
    public string Shape { get; set; } = "";

    /// <summary>OCPU counts allowed on this shape (flexible shapes); omit for no bound.</summary>
    [JsonPropertyName("ocpuConstraints")]
    public OcpuRange? OcpuConstraints { get; set; }

    /// <summary>Memory sizes allowed on this shape (flexible shapes); omit for no bound.</summary>
    [JsonPropertyName("memoryConstraints")]
    public MemoryRange? MemoryConstraints { get; set; }
}

/// <summary>The user's licence certification for an image.</summary>
public sealed class LicenseAttestation
{
    /// <summary>
    /// Required true for Windows images: the user certifies that the chosen Windows version and edition comply
    /// with the Microsoft licence terms.
    /// </summary>
    [JsonPropertyName("windowsLicenseCompliant")]
    [Required]
    public bool WindowsLicenseCompliant { get; set; }
}

/// <summary>Progress of a long-running copy.</summary>
public sealed class TransferProgress
{
    /// <summary>Completed share of the work, 0 to 100.</summary>
    [JsonPropertyName("percent")]
    [Minimum(0)]
    [Maximum(100)]
    public int Percent { get; set; }

    /// <summary>Bytes processed so far.</summary>
    [JsonPropertyName("bytesDone")]
    [Minimum(0)]
    public long BytesDone { get; set; }

    /// <summary>Total bytes to process, when known.</summary>
    [JsonPropertyName("bytesTotal")]
    [Minimum(0)]
    public long? BytesTotal { get; set; }
}

/// <summary>Base of the statuses of long-running copies (imports and exports).</summary>
public abstract class TransferStatus : ConditionedStatus
{
    /// <summary>Progress of the copy and conversion.</summary>
    [JsonPropertyName("progress")]
    public TransferProgress? Progress { get; set; }

    /// <summary>When the work started.</summary>
    [JsonPropertyName("startTime")]
    public DateTime? StartTime { get; set; }

    /// <summary>When the work succeeded or failed.</summary>
    [JsonPropertyName("completionTime")]
    public DateTime? CompletionTime { get; set; }

    /// <summary>Transient errors retried so far; the retry budget (spec.retryPolicy or the operator's defaults) bounds it.</summary>
    [JsonPropertyName("retries")]
    [Minimum(0)]
    public int Retries { get; set; }
}

/// <summary>
/// How long a transfer retries transient errors (an unreachable or failing object store, API conflicts) before it
/// fails for good with reason StorageError (or RetryLimitExceeded) and the last error in its message. Unset fields
/// take the operator's defaults.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>Most retries after the first attempt.</summary>
    [JsonPropertyName("maxRetries")]
    [Minimum(0)]
    [Maximum(1000)]
    public int? MaxRetries { get; set; }

    /// <summary>Longest time, in seconds from the start of the transfer, to keep retrying.</summary>
    [JsonPropertyName("maxDurationSeconds")]
    [Minimum(1)]
    [Maximum(604800)]
    public int? MaxDurationSeconds { get; set; }
}
