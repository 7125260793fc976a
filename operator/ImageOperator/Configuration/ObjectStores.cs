using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ImageOperator.Storage;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Minio.DataModel.Args;

namespace ImageOperator.Configuration;

/// <summary>
/// Feeds the operator's configured object stores into the storage layer's <see cref="ObjectStoreRegistry"/> (the one
/// place that picks a store for a URL and opens readers and writers), with the keys of their credentials Secrets
/// (keys <c>accessKey</c> and <c>secretKey</c>). Secrets are read whenever a store is used, so rotated keys take
/// effect with the next transfer and a deleted Secret stops new transfers at once: the registry then gets a new
/// store instance, while transfers in flight keep theirs.
/// </summary>
public sealed class ObjectStores(OperatorOptions options, IKubernetes kubernetes) : IDisposable
{
    /// <summary>Key of the access key id in a credentials Secret.</summary>
    public const string AccessKeyKey = "accessKey";

    /// <summary>Key of the secret key in a credentials Secret.</summary>
    public const string SecretKeyKey = "secretKey";

    private readonly ObjectStoreRegistry _registry = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ObjectStoreCredentials> _configured = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Store, string Bucket), Lazy<Task>> _buckets = new();

    /// <summary>The store of the image library.</summary>
    public Task<ObjectStore> LibraryAsync(CancellationToken cancellationToken) => GetAsync(options.Library.Store, cancellationToken);

    /// <summary>The bucket of the image library.</summary>
    public string LibraryBucket => options.Library.Bucket;

    /// <summary>The name of the image library's store.</summary>
    public string LibraryStoreName => Settings(options.Library.Store).Name;

    /// <summary>The store named <paramref name="name"/> (the default store when null).</summary>
    /// <exception cref="ObjectStorageException">No such store, or its credentials are unusable.</exception>
    public async Task<ObjectStore> GetAsync(string? name, CancellationToken cancellationToken)
    {
        var settings = Settings(name);
        var credentials = await CredentialsAsync(settings, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_configured.TryGetValue(settings.Name, out var current) && current == credentials)
            {
                return _registry.Get(settings.Name);
            }

            var store = _registry.Configure(settings.ToStorageOptions(), credentials);
            _configured[settings.Name] = credentials;
            return store;
        }
    }

    /// <summary>
    /// A store on the endpoint of the configured store <paramref name="name"/> (the default store when null) that uses
    /// the keys of Secret <paramref name="secretName"/> in <paramref name="ns"/>, the namespace of the transfer that
    /// names it: for that transfer only, never registered or cached. The caller disposes it.
    /// </summary>
    /// <exception cref="ObjectStorageException">No such store, or the Secret is missing or lacks a key (the message names it).</exception>
    public async Task<ObjectStore> TenantStoreAsync(string? name, string ns, string secretName, CancellationToken cancellationToken)
    {
        var settings = Settings(name);
        var credentials = await ReadCredentialsAsync(ns, secretName, $"named by credentialsSecretRef for object store '{settings.Name}'", cancellationToken).ConfigureAwait(false);
        return new ObjectStore(settings.ToStorageOptions(), credentials);
    }

    /// <summary>
    /// The registry with every configured store whose credentials resolve, in configuration order (the first of
    /// several stores on one endpoint serves URLs there). A store whose Secret is unusable is left out: URLs on its
    /// endpoint are then fetched as given, and naming the store still fails with the credentials problem.
    /// </summary>
    public async Task<ObjectStoreRegistry> RegistryAsync(CancellationToken cancellationToken)
    {
        foreach (var settings in options.ObjectStores)
        {
            try
            {
                await GetAsync(settings.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStorageException)
            {
                // Reported when the store is used by name.
            }
        }

        return _registry;
    }

    /// <summary>Creates <paramref name="bucket"/> when missing; concurrent callers share one check per store and bucket.</summary>
    public async Task EnsureBucketAsync(ObjectStore store, string bucket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ensured = _buckets.GetOrAdd((store.Name, bucket), _ => new Lazy<Task>(() => CreateBucketAsync(store, bucket)));
        try
        {
            await ensured.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Let the next caller try again rather than remember a failure forever.
            _buckets.TryRemove(new KeyValuePair<(string, string), Lazy<Task>>((store.Name, bucket), ensured));
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _registry.Dispose();

    private static async Task CreateBucketAsync(ObjectStore store, string bucket)
    {
        if (!await store.Minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)).ConfigureAwait(false))
        {
            await store.Minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket)).ConfigureAwait(false);
        }
    }

    private ObjectStoreSettings Settings(string? name)
    {
        try
        {
            return options.Store(name);
        }
        catch (KeyNotFoundException e)
        {
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"The {e.Message.Trim('"')}.");
        }
    }

    // Read on every use, not cached: a rotated key serves the next transfer, and a deleted Secret fails it naming the
    // Secret. The store itself is rebuilt only when the keys change (see GetAsync).
    private Task<ObjectStoreCredentials> CredentialsAsync(ObjectStoreSettings settings, CancellationToken cancellationToken) =>
        ReadCredentialsAsync(settings.CredentialsSecret.Namespace, settings.CredentialsSecret.Name, $"of object store '{settings.Name}'", cancellationToken);

    /// <summary>Reads the keys of credentials Secret <paramref name="ns"/>/<paramref name="name"/>; <paramref name="role"/> says what it is for, in messages.</summary>
    private async Task<ObjectStoreCredentials> ReadCredentialsAsync(string ns, string name, string role, CancellationToken cancellationToken)
    {
        V1Secret secret;
        try
        {
            secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectStorageException(ObjectStorageError.AccessDenied, $"The credentials Secret {ns}/{name} {role} does not exist.");
        }

        string Read(string key) =>
            secret.Data?.TryGetValue(key, out var bytes) == true && bytes.Length > 0
                ? Encoding.UTF8.GetString(bytes).Trim()
                : throw new ObjectStorageException(ObjectStorageError.AccessDenied, $"The credentials Secret {ns}/{name} {role} has no '{key}' key.");

        return new ObjectStoreCredentials(Read(AccessKeyKey), Read(SecretKeyKey));
    }
}
