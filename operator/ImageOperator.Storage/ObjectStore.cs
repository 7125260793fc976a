using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ImageOperator.DiskFormats.IO;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace ImageOperator.Storage;

/// <summary>Size and entity tag of a stored object, as the store reports them.</summary>
/// <param name="Bucket">Bucket.</param>
/// <param name="Key">Object name.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="ETag">Entity tag without quotes (for multipart objects: <c>&lt;md5 of part md5s&gt;-&lt;parts&gt;</c>).</param>
public sealed record StoredObject(string Bucket, string Key, long Size, string ETag);

/// <summary>
/// A configured S3-compatible store (MinIO, Ceph RGW, AWS S3) with resolved credentials: presigning, stat,
/// ranged reads (<see cref="OpenReadAsync"/>) and parallel multipart writes (<see cref="StartUploadAsync"/>).
/// </summary>
public sealed class ObjectStore : IDisposable
{
    /// <summary>Longest expiry of a SigV4 pre-signed URL.</summary>
    public static readonly TimeSpan MaxPresignExpiry = TimeSpan.FromDays(7);

    private readonly HttpClient _http;

    /// <summary>Connects nothing yet: validates the options and builds the HTTP and Minio clients.</summary>
    public ObjectStore(ObjectStoreOptions options, ObjectStoreCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, "An object store has no name.");
        }

        if (string.IsNullOrEmpty(credentials.AccessKey) || string.IsNullOrEmpty(credentials.SecretKey))
        {
            throw new ObjectStorageException(ObjectStorageError.AccessDenied, $"Object store '{options.Name}': the access key or secret key is empty.");
        }

        Name = options.Name;
        StallTimeout = options.StallTimeout;
        Endpoint = options.EndpointUri();
        Region = string.IsNullOrWhiteSpace(options.Region) ? "us-east-1" : options.Region;
        _http = CreateHttpClient(options);
        Signer = new S3RequestSigner(credentials, Region);
        Minio = new MinioClient()
            .WithEndpoint(Endpoint.Host, Endpoint.Port)
            .WithSSL(Endpoint.Scheme == Uri.UriSchemeHttps)
            .WithRegion(Region)
            .WithCredentials(credentials.AccessKey, credentials.SecretKey)
            .WithHttpClient(_http)
            .Build();
    }

    /// <summary>Name of the store in the operator configuration.</summary>
    public string Name { get; }

    /// <summary>Scheme, host and port of the store.</summary>
    public Uri Endpoint { get; }

    /// <summary>Signing region.</summary>
    public string Region { get; }

    /// <summary>The Minio SDK client for this store (bucket administration, listing).</summary>
    public IMinioClient Minio { get; }

    /// <summary>HTTP client trusting this store's CA bundle (also used for URLs pointing at this endpoint).</summary>
    internal HttpClient Http => _http;

    internal S3RequestSigner Signer { get; }

    /// <summary>True when <paramref name="url"/> points at this store's endpoint.</summary>
    public bool Serves(Uri url) => ObjectStoreOptions.IsOnEndpoint(Endpoint, url);

    /// <summary>Path-style URL of an object (no credentials).</summary>
    /// <exception cref="ObjectStorageException">The bucket or key is invalid (<see cref="ObjectStorageError.InvalidLocation"/>).</exception>
    public Uri ObjectUri(string bucket, string key)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        var path = $"/{bucket}/{ObjectLocation.EscapeKey(key)}";
        var uri = new Uri(Endpoint, path);

        // Defence in depth: a validated key never changes on the way into a Uri, but a request must never reach
        // another object than the one named if it did.
        return uri.AbsolutePath == path
            ? uri
            : throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"The object name '{key}' would be rewritten in a request path.");
    }

    /// <summary>Describes an object of this store for messages.</summary>
    internal string Describe(string bucket, string key) => $"object '{key}' in bucket '{bucket}' of store '{Name}'";

    /// <summary>
    /// A pre-signed GET URL valid for <paramref name="expiry"/> (1 s to 7 days): a secret granting read access
    /// to the object, for pre-authenticated requests. Computed locally; the object need not exist yet.
    /// </summary>
    public async Task<Uri> PresignGetAsync(string bucket, string key, TimeSpan expiry)
    {
        if (expiry < TimeSpan.FromSeconds(1) || expiry > MaxPresignExpiry)
        {
            throw new ArgumentOutOfRangeException(nameof(expiry), expiry, "A pre-signed URL must expire between 1 second and 7 days from now.");
        }

        ObjectLocation.ForStore(Name, bucket, key);
        var url = await Minio.PresignedGetObjectAsync(
            new PresignedGetObjectArgs().WithBucket(bucket).WithObject(key).WithExpiry((int)expiry.TotalSeconds)).ConfigureAwait(false);
        return new Uri(url);
    }

    /// <summary>Size and ETag of an object.</summary>
    public async Task<StoredObject> StatAsync(string bucket, string key, CancellationToken cancellationToken = default)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        try
        {
            var stat = await Minio.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken).ConfigureAwait(false);
            return new StoredObject(bucket, key, stat.Size, stat.ETag.Trim('"'));
        }
        catch (MinioException exception)
        {
            throw StorageErrors.FromMinio(exception, Describe(bucket, key));
        }
    }

    /// <summary>Longest time a request may move no byte before it counts as stalled (see <see cref="ObjectStoreOptions.StallTimeout"/>).</summary>
    public TimeSpan StallTimeout { get; }

    /// <summary>Opens an object for ranged reads through short-lived pre-signed URLs (see <see cref="S3RangeReader"/>).</summary>
    public Task<S3RangeReader> OpenReadAsync(string bucket, string key, RangeReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        var presigner = new PresignedUrlSource(this, bucket, key);
        return S3RangeReader.OpenAsync(_http, presigner.GetAsync, Describe(bucket, key),
            (options ?? new RangeReaderOptions()) with { StallTimeout = options?.StallTimeout ?? StallTimeout }, cancellationToken);
    }

    /// <summary>Starts a parallel multipart upload to <paramref name="key"/> (see <see cref="S3MultipartUpload"/>).</summary>
    public Task<S3MultipartUpload> StartUploadAsync(string bucket, string key, MultipartUploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        return S3MultipartUpload.StartAsync(this, bucket, key, (options ?? new MultipartUploadOptions()) with { StallTimeout = options?.StallTimeout ?? StallTimeout }, cancellationToken);
    }

    /// <summary>Upload ids of multipart uploads in progress (not completed, not aborted) under <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<(string Key, string UploadId)>> ListIncompleteUploadsAsync(string bucket, string prefix = "", CancellationToken cancellationToken = default)
    {
        var uploads = new List<(string, string)>();
        try
        {
            await foreach (var upload in Minio.ListIncompleteUploadsEnumAsync(
                new ListIncompleteUploadsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true), cancellationToken).ConfigureAwait(false))
            {
                uploads.Add((upload.Key, upload.UploadId));
            }
        }
        catch (MinioException exception)
        {
            throw StorageErrors.FromMinio(exception, $"the uploads of bucket '{bucket}' of store '{Name}'");
        }

        return uploads;
    }

    /// <summary>
    /// Aborts every unfinished multipart upload to exactly <paramref name="key"/> (S3 keys are case-sensitive; other keys
    /// under the same prefix are left alone): the leftovers of an attempt that could not abort its own upload because
    /// it crashed or the store was unreachable. Returns how many were aborted.
    /// </summary>
    public async Task<int> AbortIncompleteUploadsAsync(string bucket, string key, MultipartUploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        var stale = (await ListIncompleteUploadsAsync(bucket, key, cancellationToken).ConfigureAwait(false))
            .Where(upload => string.Equals(upload.Key, key, StringComparison.Ordinal))
            .ToList();
        foreach (var (_, uploadId) in stale)
        {
            await S3MultipartUpload.AbortAsync(this, options ?? new MultipartUploadOptions(), bucket, key, uploadId, cancellationToken).ConfigureAwait(false);
        }

        return stale.Count;
    }

    /// <summary>
    /// Writes a small object (a manifest) in one PUT and returns what the store holds afterwards; a stored size
    /// other than <paramref name="data"/>'s fails with <see cref="ObjectStorageError.Other"/>.
    /// </summary>
    public async Task<StoredObject> PutAsync(string bucket, string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken = default)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        try
        {
            using var body = new MemoryStream(data.ToArray(), writable: false);
            await Minio.PutObjectAsync(
                new PutObjectArgs().WithBucket(bucket).WithObject(key).WithStreamData(body).WithObjectSize(data.Length).WithContentType(contentType),
                cancellationToken).ConfigureAwait(false);
        }
        catch (MinioException exception)
        {
            throw StorageErrors.FromMinio(exception, Describe(bucket, key));
        }

        var stored = await StatAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        return stored.Size == data.Length
            ? stored
            : throw new ObjectStorageException(ObjectStorageError.Other, $"{Describe(bucket, key)} holds {stored.Size} bytes after a PUT of {data.Length}.");
    }

    /// <summary>Deletes an object; deleting a missing object succeeds (S3 semantics).</summary>
    public async Task RemoveAsync(string bucket, string key, CancellationToken cancellationToken = default)
    {
        ObjectLocation.ForStore(Name, bucket, key);
        try
        {
            await Minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken).ConfigureAwait(false);
        }
        catch (MinioException exception)
        {
            throw StorageErrors.FromMinio(exception, Describe(bucket, key));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Minio.Dispose();
        _http.Dispose();
    }

    private static HttpClient CreateHttpClient(ObjectStoreOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 64,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var roots = LoadCaBundle(options);
        if (roots is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedByBundle(certificate, errors, roots);
        }

        // Per-request deadlines come from cancellation tokens; a whole-client timeout would cut long part uploads.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static X509Certificate2Collection? LoadCaBundle(ObjectStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.CaBundleFile) && string.IsNullOrWhiteSpace(options.CaBundlePem))
        {
            return null;
        }

        var roots = new X509Certificate2Collection();
        try
        {
            if (!string.IsNullOrWhiteSpace(options.CaBundleFile))
            {
                roots.ImportFromPemFile(options.CaBundleFile);
            }

            if (!string.IsNullOrWhiteSpace(options.CaBundlePem))
            {
                roots.ImportFromPem(options.CaBundlePem);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"Object store '{options.Name}': the CA bundle cannot be read ({exception.Message}).", innerException: exception);
        }

        if (roots.Count == 0)
        {
            throw new ObjectStorageException(ObjectStorageError.InvalidLocation, $"Object store '{options.Name}': the CA bundle holds no PEM certificate.");
        }

        return roots;
    }

    private static bool TrustedByBundle(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        // The name must match regardless of which roots are trusted.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return certificate is X509Certificate2 leaf && chain.Build(leaf);
    }

    /// <summary>Hands out pre-signed GET URLs for one object, renewing them well before they expire.</summary>
    private sealed class PresignedUrlSource(ObjectStore store, string bucket, string key)
    {
        private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
        private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(10);
        private (Uri Url, DateTimeOffset Expires)? _current;

        public async ValueTask<Uri> GetAsync(CancellationToken cancellationToken)
        {
            var current = _current;
            if (current is { } c && c.Expires - DateTimeOffset.UtcNow > RenewBefore)
            {
                return c.Url;
            }

            var expires = DateTimeOffset.UtcNow + Lifetime;
            var url = await store.PresignGetAsync(bucket, key, Lifetime).ConfigureAwait(false);
            _current = (url, expires);
            return url;
        }
    }
}
