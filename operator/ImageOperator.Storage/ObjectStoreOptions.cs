namespace ImageOperator.Storage;

/// <summary>
/// One named object store from the operator configuration (a region, in the product's terms). Credentials are
/// not here: they live in a Kubernetes Secret that the operator resolves into <see cref="ObjectStoreCredentials"/>.
/// </summary>
public sealed record ObjectStoreOptions
{
    /// <summary>Name that resources refer to.</summary>
    public required string Name { get; init; }

    /// <summary>Endpoint: <c>host[:port]</c> or <c>http(s)://host[:port]</c> (a scheme overrides <see cref="UseTls"/>).</summary>
    public required string Endpoint { get; init; }

    /// <summary>Region used in request signatures.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Use HTTPS (ignored when <see cref="Endpoint"/> has a scheme).</summary>
    public bool UseTls { get; init; } = true;

    /// <summary>PEM file with CA certificates to trust for this endpoint, instead of the system store.</summary>
    public string? CaBundleFile { get; init; }

    /// <summary>PEM text with CA certificates to trust for this endpoint (alternative to <see cref="CaBundleFile"/>).</summary>
    public string? CaBundlePem { get; init; }

    /// <summary>Name of the Secret holding the credentials (resolved by the operator, not by this library).</summary>
    public string? CredentialsSecret { get; init; }

    /// <summary>Longest time a request to this store may move no byte before it counts as stalled and is retried (reads and uploads that set none).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>True when <paramref name="url"/> has the scheme, host and port of <paramref name="endpoint"/>.</summary>
    public static bool IsOnEndpoint(Uri endpoint, Uri url)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(url);
        return url.Scheme == endpoint.Scheme && string.Equals(url.Host, endpoint.Host, StringComparison.OrdinalIgnoreCase) && url.Port == endpoint.Port;
    }

    /// <summary>The endpoint as an absolute URI (scheme, host, port).</summary>
    /// <exception cref="ObjectStorageException">The endpoint is malformed.</exception>
    public Uri EndpointUri()
    {
        var text = Endpoint?.Trim() ?? string.Empty;
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = (UseTls ? "https://" : "http://") + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new ObjectStorageException(
                ObjectStorageError.InvalidLocation,
                $"Object store '{Name}': endpoint must be host[:port] or http(s)://host[:port] without a path, query or credentials.");
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }
}

/// <summary>Access key pair of an object store. <see cref="ToString"/> never shows the secret.</summary>
/// <param name="AccessKey">Access key id.</param>
/// <param name="SecretKey">Secret key.</param>
public sealed record ObjectStoreCredentials(string AccessKey, string SecretKey)
{
    /// <inheritdoc />
    public override string ToString() => $"ObjectStoreCredentials {{ AccessKey = {AccessKey}, SecretKey = REDACTED }}";
}
