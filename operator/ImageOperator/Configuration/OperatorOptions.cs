namespace ImageOperator.Configuration;

/// <summary>
/// Settings of the operator, bound from the <c>ImageOperator</c> section of the configuration (appsettings, the
/// <c>--config</c> YAML or JSON file, <c>IMAGEOPERATOR__*</c> environment variables, the command line).
/// </summary>
public sealed class OperatorOptions
{
    /// <summary>Name of the configuration section.</summary>
    public const string Section = "ImageOperator";

    /// <summary>The S3 endpoints the operator may use; each plays the role of a region.</summary>
    public IList<ObjectStoreSettings> ObjectStores { get; set; } = [];

    /// <summary>Where imported images are stored.</summary>
    public LibraryOptions Library { get; set; } = new();

    /// <summary>Namespace to watch, or a comma-separated list of them; null or empty watches all namespaces.</summary>
    public string? WatchNamespace { get; set; }

    /// <summary>The namespaces of <see cref="WatchNamespace"/>; empty for all namespaces.</summary>
    public IReadOnlyList<string> WatchedNamespaces() =>
        [.. (WatchNamespace ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>Reconciles that may run at once, per controller.</summary>
    public ConcurrencyOptions Concurrency { get; set; } = new();

    /// <summary>Default retry budget of every import and export (spec.retryPolicy overrides it per object).</summary>
    public RetryOptions Retries { get; set; } = new();

    /// <summary>Leader election between replicas.</summary>
    public LeaderElectionOptions LeaderElection { get; set; } = new();

    /// <summary>Port of <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> (plain HTTP); 0 picks a free port.</summary>
    public int MetricsPort { get; set; } = 8080;

    /// <summary>Address the metrics and health port binds to.</summary>
    public string MetricsBindAddress { get; set; } = "0.0.0.0";

    /// <summary>Interval of the informers' full resyncs.</summary>
    public TimeSpan ResyncPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// On shutdown or loss of leadership, how long running imports and exports may continue before they are
    /// cancelled (their uploads aborted; the next leader starts them again).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Smallest interval between two progress updates of one import or export.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Folder where exports to pre-authenticated URLs are spooled (such a URL takes one PUT of known length, at most
    /// 5 GiB, so the image is written locally first and deleted after); the system temp folder when empty.
    /// </summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>The store named <paramref name="name"/>, or the default store (the first one) when null.</summary>
    /// <exception cref="KeyNotFoundException">No store has that name.</exception>
    public ObjectStoreSettings Store(string? name)
    {
        if (ObjectStores.Count == 0)
        {
            throw new KeyNotFoundException("no object store is configured (ImageOperator:ObjectStores)");
        }

        if (string.IsNullOrEmpty(name))
        {
            return ObjectStores[0];
        }

        return ObjectStores.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal))
            ?? throw new KeyNotFoundException($"object store \"{name}\" is not configured");
    }
}

/// <summary>One S3-compatible endpoint.</summary>
public sealed class ObjectStoreSettings
{
    /// <summary>Name used by <c>store:</c> fields of the API.</summary>
    public string Name { get; set; } = "default";

    /// <summary>Base URL, e.g. <c>https://minio.minio.svc:9000</c>; its scheme decides TLS unless <see cref="UseTls"/> is set.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Region put in request signatures.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Whether to use HTTPS; null follows the endpoint's scheme.</summary>
    public bool? UseTls { get; set; }

    /// <summary>PEM file (or PEM text) of the CA that signed the endpoint's certificate, when not a public CA.</summary>
    public string? CaBundle { get; set; }

    /// <summary>Secret holding the keys under <c>accessKey</c> and <c>secretKey</c>.</summary>
    public SecretReference CredentialsSecret { get; set; } = new();

    /// <summary>
    /// Which namespaces may read or write which buckets and key prefixes of this store with the operator's keys
    /// (<see cref="CredentialsSecret"/>). None means nobody may; a grant of namespaces <c>*</c>, buckets <c>*</c>,
    /// access ReadWrite gives every namespace everything, as a single-tenant cluster may want. Transfers that bring
    /// their own keys (<c>credentialsSecretRef</c>) and pre-authenticated URLs do not need a grant.
    /// </summary>
    public IList<StoreGrant> Grants { get; set; } = [];

    /// <summary>
    /// Buckets of this store that no import may read and no export may write, whatever the grants or keys (the
    /// image library's bucket always is).
    /// </summary>
    public IList<string> ReservedBuckets { get; set; } = [];

    /// <summary>Longest time a request to this store may move no byte (a silent server, a full disk) before it is retried; separate from the request timeouts.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The library's view of these settings.</summary>
    public Storage.ObjectStoreOptions ToStorageOptions() => new()
    {
        Name = Name,
        Endpoint = Endpoint,
        Region = Region,
        UseTls = UseTls ?? Endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase),
        CaBundleFile = CaBundle is { } bundle && !bundle.Contains("-----BEGIN", StringComparison.Ordinal) ? bundle : null,
        CaBundlePem = CaBundle is { } pem && pem.Contains("-----BEGIN", StringComparison.Ordinal) ? pem : null,
        CredentialsSecret = $"{CredentialsSecret.Namespace}/{CredentialsSecret.Name}",
        StallTimeout = StallTimeout,
    };
}

/// <summary>What a grant allows on the objects it covers.</summary>
[Flags]
public enum StoreAccess
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Imports may read the objects.</summary>
    Read = 1,

    /// <summary>Exports may write (create or replace) the objects.</summary>
    Write = 2,

    /// <summary>Both.</summary>
    ReadWrite = Read | Write,
}

/// <summary>
/// Lets some namespaces use some objects of a store with the operator's keys. In <see cref="Buckets"/> and
/// <see cref="Prefix"/>, <c>{namespace}</c> stands for the namespace of the import or export, so that one grant gives
/// every tenant a place of its own (for example buckets <c>images</c>, prefix <c>{namespace}/</c>).
/// </summary>
public sealed class StoreGrant
{
    /// <summary>The token that stands for the namespace of the import or export.</summary>
    public const string NamespaceToken = "{namespace}";

    /// <summary>Namespaces the grant applies to; <c>*</c> for every namespace.</summary>
    public IList<string> Namespaces { get; set; } = [];

    /// <summary>Buckets the grant covers; <c>*</c> for every bucket that is not reserved.</summary>
    public IList<string> Buckets { get; set; } = [];

    /// <summary>Key prefix the grant covers (empty: the whole bucket); a prefix is not a folder unless it ends with <c>/</c>.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>What the grant allows.</summary>
    public StoreAccess Access { get; set; } = StoreAccess.Read;
}

/// <summary>A Secret by namespace and name.</summary>
public sealed class SecretReference
{
    /// <summary>Namespace of the Secret.</summary>
    public string Namespace { get; set; } = "image-operator-system";

    /// <summary>Name of the Secret.</summary>
    public string Name { get; set; } = "";
}

/// <summary>Where the operator keeps the disks of imported images.</summary>
public sealed class LibraryOptions
{
    /// <summary>Object store of the library; null means the default store.</summary>
    public string? Store { get; set; }

    /// <summary>Bucket of the library; created at start-up when missing.</summary>
    public string Bucket { get; set; } = "image-library";
}

/// <summary>How long a transfer retries transient errors by default.</summary>
public sealed class RetryOptions
{
    /// <summary>Most retries after the first attempt.</summary>
    public int MaxRetries { get; set; } = 10;

    /// <summary>Longest time from the start of a transfer to keep retrying.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Workers per controller.</summary>
public sealed class ConcurrencyOptions
{
    /// <summary>Imports converting at once.</summary>
    public int Imports { get; set; } = 2;

    /// <summary>Exports converting at once.</summary>
    public int Exports { get; set; } = 2;

    /// <summary>CustomImage reconciles at once (short metadata work).</summary>
    public int Images { get; set; } = 4;
}

/// <summary>Leader election through a coordination.k8s.io Lease.</summary>
public sealed class LeaderElectionOptions
{
    /// <summary>Whether replicas elect a leader; only the leader runs controllers.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Namespace of the Lease.</summary>
    public string Namespace { get; set; } = "image-operator-system";

    /// <summary>Name of the Lease.</summary>
    public string LeaseName { get; set; } = "image-operator-leader";

    /// <summary>How long a lease stays valid without renewal.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the leader renews.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates retry.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}
