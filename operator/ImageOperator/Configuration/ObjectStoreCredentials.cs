using System.Collections.Concurrent;
using System.Text;
using k8s;
using k8s.Autorest;

namespace ImageOperator.Configuration;

/// <summary>Access keys of one object store.</summary>
/// <param name="AccessKey">The access key id.</param>
/// <param name="SecretKey">The secret key; never logged.</param>
public sealed record StoreCredentials(string AccessKey, string SecretKey)
{
    /// <summary>Hides the secret key from logs and exception messages.</summary>
    public override string ToString() => $"StoreCredentials {{ AccessKey = {AccessKey}, SecretKey = *** }}";
}

/// <summary>
/// Reads the access keys of the configured object stores from their Secrets (keys <c>accessKey</c> and
/// <c>secretKey</c>), caching them briefly so that a rotated Secret takes effect within a minute.
/// </summary>
public sealed class ObjectStoreCredentials(IKubernetes kubernetes, TimeProvider time)
{
    /// <summary>Key of the access key id in the Secret.</summary>
    public const string AccessKeyKey = "accessKey";

    /// <summary>Key of the secret key in the Secret.</summary>
    public const string SecretKeyKey = "secretKey";

    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Namespace, string Name), (StoreCredentials Value, DateTimeOffset Expires)> _cache = new();

    /// <summary>The keys of <paramref name="store"/>.</summary>
    /// <exception cref="InvalidOperationException">The Secret is missing or lacks a key; the message names it.</exception>
    public async Task<StoreCredentials> GetAsync(ObjectStoreOptions store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = (store.CredentialsSecret.Namespace, store.CredentialsSecret.Name);
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > time.GetUtcNow())
        {
            return cached.Value;
        }

        k8s.Models.V1Secret secret;
        try
        {
            secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync(key.Name, key.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"the credentials Secret {key.Namespace}/{key.Name} of object store \"{store.Name}\" does not exist", e);
        }

        var credentials = new StoreCredentials(Read(secret, AccessKeyKey, store), Read(secret, SecretKeyKey, store));
        _cache[key] = (credentials, time.GetUtcNow() + CacheLifetime);
        return credentials;
    }

    private static string Read(k8s.Models.V1Secret secret, string name, ObjectStoreOptions store) =>
        secret.Data?.TryGetValue(name, out var bytes) == true && bytes.Length > 0
            ? Encoding.UTF8.GetString(bytes).Trim()
            : throw new InvalidOperationException(
                $"the credentials Secret {store.CredentialsSecret.Namespace}/{store.CredentialsSecret.Name} of object store \"{store.Name}\" has no \"{name}\" key");
}
