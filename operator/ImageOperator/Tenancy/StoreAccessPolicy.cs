using ImageOperator.Configuration;
using ImageOperator.Storage;

namespace ImageOperator.Tenancy;

/// <summary>Why a namespace may not use an object: a condition reason and a message naming the object and the rule.</summary>
/// <param name="Reason"><see cref="TenancyReasons.ReservedBucket"/> or <see cref="TenancyReasons.NotGranted"/>.</param>
/// <param name="Message">What was refused and what to do; holds no secret.</param>
public sealed record AccessRefusal(string Reason, string Message);

/// <summary>Condition reasons of the tenancy rules.</summary>
public static class TenancyReasons
{
    /// <summary>The bucket is the operator's image library (or reserved by configuration): no import reads it, no export writes it.</summary>
    public const string ReservedBucket = "ReservedBucket";

    /// <summary>The operator's keys may not be used by this namespace for this object (no grant covers it).</summary>
    public const string NotGranted = "NotGranted";
}

/// <summary>
/// The tenancy rules of object storage, applied alike at admission and in the controllers: the operator's keys serve
/// a namespace only for the buckets and prefixes the configuration grants it, and the image library (with any bucket
/// configured as reserved) is the operator's alone whatever keys or URL a transfer brings. Reserved buckets are
/// matched by endpoint, so a second store name on the same server does not reach the library either.
/// </summary>
public sealed class StoreAccessPolicy
{
    private readonly OperatorOptions _options;
    private readonly Dictionary<string, Uri> _endpoints;
    private readonly List<(Uri Endpoint, string Bucket, string Why)> _reserved = [];

    /// <summary>Reads the grants and reserved buckets of <paramref name="options"/>.</summary>
    public StoreAccessPolicy(OperatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _endpoints = options.ObjectStores.DistinctBy(s => s.Name).ToDictionary(s => s.Name, s => s.ToStorageOptions().EndpointUri(), StringComparer.Ordinal);
        if (options.ObjectStores.Count == 0)
        {
            return;
        }

        var library = options.Store(options.Library.Store);
        _reserved.Add((Endpoint(library), options.Library.Bucket, "is the operator's image library"));
        foreach (var store in options.ObjectStores)
        {
            _reserved.AddRange(store.ReservedBuckets.Select(bucket => (Endpoint(store), bucket, "is reserved by the operator's configuration")));
        }
    }

    /// <summary>
    /// Whether <paramref name="ns"/> may use an object of the configured store <paramref name="storeName"/> (the default
    /// store when null): with the operator's keys only as granted; with its own keys (<paramref name="ownCredentials"/>)
    /// anywhere but in reserved buckets. Names that are not plain S3 names (path tricks included) are refused first.
    /// </summary>
    /// <returns>Null when allowed, else why not.</returns>
    public AccessRefusal? CheckStoreObject(string ns, string? storeName, string bucket, string key, StoreAccess access, bool ownCredentials)
    {
        ObjectStoreSettings store;
        try
        {
            store = _options.Store(storeName);
        }
        catch (KeyNotFoundException)
        {
            var known = string.Join(", ", _options.ObjectStores.Select(s => s.Name));
            return new AccessRefusal(Controllers.ControllerReasons.InvalidLocation,
                $"no object store named '{storeName ?? "(default)"}' is configured ({(known.Length == 0 ? "none is" : "configured: " + known)})");
        }

        if ((ObjectLocation.BucketProblem(bucket) ?? ObjectLocation.ObjectNameProblem(key)) is { } problem)
        {
            return new AccessRefusal(Controllers.ControllerReasons.InvalidLocation, $"{problem}: bucket and object names are data, never paths");
        }

        return Reserved(Endpoint(store), bucket, store.Name, access) ?? (ownCredentials ? null : Grant(ns, store, bucket, key, access));
    }

    /// <summary>
    /// Whether <paramref name="ns"/> may use the object a URL names. A URL on a configured store's endpoint may never
    /// name a reserved bucket; a plain URL there is reached with that store's keys and needs a grant, while a
    /// pre-signed or pre-authenticated URL carries its own authority. URLs elsewhere carry no operator authority.
    /// </summary>
    /// <returns>Null when allowed, else why not.</returns>
    public AccessRefusal? CheckUrl(string ns, ObjectLocation url, StoreAccess access)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Url is not { } address)
        {
            return CheckStoreObject(ns, url.Store, url.Bucket, url.Key, access, ownCredentials: false);
        }

        var store = _options.ObjectStores.FirstOrDefault(s => ObjectStoreOptions.IsOnEndpoint(Endpoint(s), address));
        if (store is null)
        {
            return null;
        }

        return Reserved(Endpoint(store), url.Bucket, store.Name, access)
            ?? (url.Kind == ObjectLocationKind.Url && url.ObjectNamespace is null ? Grant(ns, store, url.Bucket, url.Key, access) : null);
    }

    private AccessRefusal? Reserved(Uri endpoint, string bucket, string storeName, StoreAccess access)
    {
        foreach (var (reservedEndpoint, reservedBucket, why) in _reserved)
        {
            if (reservedBucket == bucket && ObjectStoreOptions.IsOnEndpoint(reservedEndpoint, endpoint))
            {
                var what = access.HasFlag(StoreAccess.Write) ? "no export may write it" : "no import may read it";
                return new AccessRefusal(TenancyReasons.ReservedBucket,
                    $"bucket '{bucket}' of store '{storeName}' {why}: {what} (copy a shared image with spec.source.customImage, or export it to a bucket of yours)");
            }
        }

        return null;
    }

    private static AccessRefusal? Grant(string ns, ObjectStoreSettings store, string bucket, string key, StoreAccess access)
    {
        var mine = store.Grants.Where(g => g.Namespaces.Contains("*") || g.Namespaces.Contains(ns)).ToList();
        if (mine.Any(g => (g.Access & access) == access && Covers(g, ns, bucket, key)))
        {
            return null;
        }

        var verb = access.HasFlag(StoreAccess.Write) ? "write" : "read";
        var granted = mine.Where(g => (g.Access & access) == access).SelectMany(g => g.Buckets.Select(b => $"{Expand(b, ns)}/{Expand(g.Prefix, ns)}*")).Distinct().ToList();
        return new AccessRefusal(TenancyReasons.NotGranted,
            $"namespace '{ns}' may not {verb} object '{key}' in bucket '{bucket}' of store '{store.Name}' with the operator's keys: "
            + (granted.Count == 0 ? $"no grant lets it {verb} anything there" : $"its grants to {verb} there cover {string.Join(", ", granted)}")
            + "; ask the operator's administrator for a grant, or bring keys of your own in spec.*.objectStore.credentialsSecretRef");
    }

    private static bool Covers(StoreGrant grant, string ns, string bucket, string key) =>
        grant.Buckets.Any(b => b == "*" || Expand(b, ns) == bucket) && key.StartsWith(Expand(grant.Prefix, ns), StringComparison.Ordinal);

    private static string Expand(string pattern, string ns) => pattern.Replace(StoreGrant.NamespaceToken, ns, StringComparison.Ordinal);

    // Computed once: the policy runs on every admission and every transfer.
    private Uri Endpoint(ObjectStoreSettings store) => _endpoints[store.Name];
}
