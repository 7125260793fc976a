using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ImageOperator.Storage;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Minio;
using Minio.DataModel.Args;

namespace ImageOperator.Configuration;

/// <summary>
/// The configured object stores, connected with the keys of their credentials Secrets (keys <c>accessKey</c> and
/// <c>secretKey</c>). Secrets are re-read at most once a minute, so rotated keys take effect without a restart.
/// </summary>
public sealed class ObjectStores(OperatorOptions options, IKubernetes kubernetes, TimeProvider time) : IDisposable
{
    /// <summary>Key of the access key id in a credentials Secret.</summary>
    public const string AccessKeyKey = "accessKey";

    /// <summary>Key of the secret key in a credentials Secret.</summary>
    public const string SecretKeyKey = "secretKey";

    private static readonly TimeSpan SecretLifetime = TimeSpan.FromMinutes(1);

    // Stores are kept for the process lifetime, one per (name, credentials): a running transfer may still use the
    // instance built from keys that were rotated since.
    private readonly ConcurrentDictionary<(string Name, ObjectStoreCredentials Credentials), ObjectStore> _stores = new();
    private readonly ConcurrentDictionary<(string Store, string Bucket), Lazy<Task>> _buckets = new();
    private readonly ConcurrentDictionary<string, (ObjectStoreCredentials Credentials, DateTimeOffset Expires)> _credentials = new();

    /// <summary>HTTP client for URLs that carry their own authorisation (pre-signed, public).</summary>
    public HttpClient UrlClient { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The store of the image library.</summary>
    public Task<ObjectStore> LibraryAsync(CancellationToken cancellationToken) => GetAsync(options.Library.Store, cancellationToken);

    /// <summary>The bucket of the image library.</summary>
    public string LibraryBucket => options.Library.Bucket;

    /// <summary>The store named <paramref name="name"/> (the default store when null).</summary>
    /// <exception cref="ObjectStorageException">No such store, or its credentials are unusable.</exception>
    public async Task<ObjectStore> GetAsync(string? name, CancellationToken cancellationToken)
    {
        ObjectStoreSettings settings;
        try
        {
            settings = options.Store(name);
        }
        catch (KeyNotFoundException e)
        {
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"The {e.Message.Trim('"')}.");
        }

        var credentials = await CredentialsAsync(settings, cancellationToken).ConfigureAwait(false);
        return _stores.GetOrAdd((settings.Name, credentials), key => new ObjectStore(settings.ToStorageOptions(), key.Credentials));
    }

    /// <summary>The configured store whose endpoint serves <paramref name="url"/>, or null.</summary>
    public async Task<ObjectStore?> ServingAsync(Uri url, CancellationToken cancellationToken)
    {
        foreach (var settings in options.ObjectStores)
        {
            if (settings.ToStorageOptions().EndpointUri() is var endpoint
                && endpoint.Scheme == url.Scheme && string.Equals(endpoint.Host, url.Host, StringComparison.OrdinalIgnoreCase) && endpoint.Port == url.Port)
            {
                return await GetAsync(settings.Name, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
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

    /// <summary>
    /// Aborts the unfinished multipart uploads to exactly <paramref name="key"/>: leftovers of an attempt that was
    /// interrupted (crash, lost leadership) before it could abort them itself.
    /// </summary>
    public async Task AbortStaleUploadsAsync(ObjectStore store, string bucket, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if ((await store.ListIncompleteUploadsAsync(bucket, key, cancellationToken).ConfigureAwait(false)).Any(u => u.Key == key))
        {
            try
            {
                await store.Minio.RemoveIncompleteUploadAsync(new RemoveIncompleteUploadArgs().WithBucket(bucket).WithObject(key), cancellationToken).ConfigureAwait(false);
            }
            catch (Minio.Exceptions.MinioException e)
            {
                throw new ObjectStorageException(ObjectStorageError.Other, $"Aborting the unfinished uploads of object '{key}' in bucket '{bucket}' failed ({e.GetType().Name}).");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        UrlClient.Dispose();
        foreach (var store in _stores.Values)
        {
            store.Dispose();
        }
    }

    private static async Task CreateBucketAsync(ObjectStore store, string bucket)
    {
        if (!await store.Minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)).ConfigureAwait(false))
        {
            await store.Minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket)).ConfigureAwait(false);
        }
    }

    private async Task<ObjectStoreCredentials> CredentialsAsync(ObjectStoreSettings settings, CancellationToken cancellationToken)
    {
        if (_credentials.TryGetValue(settings.Name, out var cached) && cached.Expires > time.GetUtcNow())
        {
            return cached.Credentials;
        }

        var reference = settings.CredentialsSecret;
        V1Secret secret;
        try
        {
            secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync(reference.Name, reference.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectStorageException(
                ObjectStorageError.AccessDenied,
                $"The credentials Secret {reference.Namespace}/{reference.Name} of object store '{settings.Name}' does not exist.");
        }

        string Read(string key) =>
            secret.Data?.TryGetValue(key, out var bytes) == true && bytes.Length > 0
                ? Encoding.UTF8.GetString(bytes).Trim()
                : throw new ObjectStorageException(
                    ObjectStorageError.AccessDenied,
                    $"The credentials Secret {reference.Namespace}/{reference.Name} of object store '{settings.Name}' has no '{key}' key.");

        var credentials = new ObjectStoreCredentials(Read(AccessKeyKey), Read(SecretKeyKey));
        _credentials[settings.Name] = (credentials, time.GetUtcNow() + SecretLifetime);
        return credentials;
    }
}
