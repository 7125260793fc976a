using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.Storage;

/// <summary>
/// The object stores named in the operator configuration, with their resolved credentials, and the entry point
/// to open any <see cref="ObjectLocation"/> for reading. Thread-safe; stores can be replaced (credential rotation).
/// </summary>
public sealed class ObjectStoreRegistry : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ObjectStore> _stores = new(StringComparer.Ordinal);

    // Names in the order they were first configured: when several stores share an endpoint, the first one serves URLs.
    private readonly List<string> _order = [];
    private readonly HttpClient _publicHttp;

    /// <summary>Creates an empty registry; URLs on unconfigured hosts are fetched with <paramref name="publicHttp"/> (system trust).</summary>
    public ObjectStoreRegistry(HttpClient? publicHttp = null) =>
        _publicHttp = publicHttp ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Names of the configured stores.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_lock)
            {
                return [.. _stores.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Adds or replaces the store <paramref name="options"/> names.</summary>
    public ObjectStore Configure(ObjectStoreOptions options, ObjectStoreCredentials credentials)
    {
        var store = new ObjectStore(options, credentials);
        lock (_lock)
        {
            // A replaced store may still serve reads in flight: it is not disposed under them.
            if (_stores.TryAdd(store.Name, store))
            {
                _order.Add(store.Name);
            }
            else
            {
                _stores[store.Name] = store;
            }
        }

        return store;
    }

    /// <summary>The store named <paramref name="name"/>.</summary>
    /// <exception cref="ObjectStorageException">No such store (<see cref="ObjectStorageError.InvalidLocation"/>), naming the configured ones.</exception>
    public ObjectStore Get(string name)
    {
        lock (_lock)
        {
            if (_stores.TryGetValue(name, out var store))
            {
                return store;
            }
        }

        var known = Names;
        throw new ObjectStorageException(
            ObjectStorageError.InvalidLocation,
            $"No object store named '{name}' is configured ({(known.Count == 0 ? "none is" : "configured: " + string.Join(", ", known))}).");
    }

    /// <summary>
    /// The configured store whose endpoint <paramref name="url"/> points at, if any; the first configured one when
    /// several share the endpoint.
    /// </summary>
    public ObjectStore? FindByEndpoint(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        lock (_lock)
        {
            return _order.Select(name => _stores[name]).FirstOrDefault(s => s.Serves(url));
        }
    }

    /// <summary>
    /// Opens <paramref name="location"/> for ranged reads: a store object with the store's credentials; a plain URL
    /// on a configured store's endpoint likewise (bucket and key from its path); a pre-signed or pre-authenticated
    /// URL as given, trusting the CA of the store it points at when there is one.
    /// </summary>
    public Task<S3RangeReader> OpenReadAsync(ObjectLocation location, RangeReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        switch (location.Kind)
        {
            case ObjectLocationKind.Store:
                return Get(location.Store!).OpenReadAsync(location.Bucket, location.Key, options, cancellationToken);
            case ObjectLocationKind.Url when location.ObjectNamespace is null && FindByEndpoint(location.Url!) is { } store:
                return store.OpenReadAsync(location.Bucket, location.Key, options, cancellationToken);
            default:
                var http = FindByEndpoint(location.Url!)?.Http ?? _publicHttp;
                return S3RangeReader.OpenUrlAsync(http, location, options, cancellationToken);
        }
    }

    /// <summary>
    /// Creates the engine's output for <paramref name="location"/>: a parallel multipart upload for a store object
    /// (or a plain URL on a configured store's endpoint), a spooled single PUT for a pre-signed or pre-authenticated
    /// URL (see <see cref="PreauthenticatedUrlSink"/>). Nothing is visible at the destination before completion.
    /// </summary>
    /// <param name="location">Destination object (append the object to a bucket-level URL first).</param>
    /// <param name="options">Part size, parallelism, <see cref="MultipartUploadOptions.HoldHead"/>, retries.</param>
    /// <param name="spoolDirectory">Temporary folder for URL destinations.</param>
    /// <param name="cancellationToken">Cancels starting the upload.</param>
    public async Task<IHeadPatchSink> CreateSinkAsync(
        ObjectLocation location, MultipartUploadOptions? options = null, string? spoolDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        switch (location.Kind)
        {
            case ObjectLocationKind.Store:
                return await Get(location.Store!).StartUploadAsync(location.Bucket, location.Key, options, cancellationToken).ConfigureAwait(false);
            case ObjectLocationKind.Url when location.ObjectNamespace is null && FindByEndpoint(location.Url!) is { } store:
                return await store.StartUploadAsync(location.Bucket, location.Key, options, cancellationToken).ConfigureAwait(false);
            case ObjectLocationKind.PreauthenticatedUrl:
                return PreauthenticatedUrlSink.Create(FindByEndpoint(location.Url!)?.Http ?? _publicHttp, location, spoolDirectory, options);
            default:
                throw new ObjectStorageException(
                    ObjectStorageError.InvalidLocation, $"{location} is neither on a configured object store nor pre-authenticated: nothing authorises writing there.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var store in _stores.Values)
            {
                store.Dispose();
            }

            _stores.Clear();
            _order.Clear();
        }

        _publicHttp.Dispose();
    }
}
