using System.Text;

namespace ImageOperator.Storage;

/// <summary>How an <see cref="ObjectLocation"/> is reached.</summary>
public enum ObjectLocationKind
{
    /// <summary>A bucket and object in a configured store, accessed with the store's credentials.</summary>
    Store,

    /// <summary>
    /// A URL that carries its own authorisation: a pre-signed URL (signature in the query) or a pre-authenticated
    /// request (token in the path, <c>/p/&lt;token&gt;/n/…</c>). The whole URL is a secret.
    /// </summary>
    PreauthenticatedUrl,

    /// <summary>A URL without credentials: a public object, or one on a configured store's endpoint.</summary>
    Url,
}

/// <summary>
/// Where an object lives. Parsed from an object-storage URL (<c>https://host/n/&lt;namespace&gt;/b/&lt;bucket&gt;/o/&lt;object&gt;</c>,
/// optionally behind a pre-authenticated <c>/p/&lt;token&gt;</c> prefix), a path-style S3 URL
/// (<c>https://host/&lt;bucket&gt;/&lt;key&gt;</c>), a pre-signed URL, or built from a store name, bucket and object.
/// <see cref="ToString"/> is always safe to log: query strings and tokens are redacted.
/// </summary>
public sealed record ObjectLocation
{
    private const string Redacted = "REDACTED";

    private ObjectLocation(ObjectLocationKind kind, string? store, Uri? url, string? objectNamespace, string bucket, string key)
    {
        Kind = kind;
        Store = store;
        Url = url;
        ObjectNamespace = objectNamespace;
        Bucket = bucket;
        Key = key;
    }

    /// <summary>How the object is reached.</summary>
    public ObjectLocationKind Kind { get; }

    /// <summary>Name of the configured store, for <see cref="ObjectLocationKind.Store"/>.</summary>
    public string? Store { get; }

    /// <summary>The URL (a secret for <see cref="ObjectLocationKind.PreauthenticatedUrl"/>; never log it, log this record).</summary>
    public Uri? Url { get; }

    /// <summary>The object-storage namespace of an <c>/n/…/b/…/o/…</c> URL, if any.</summary>
    public string? ObjectNamespace { get; }

    /// <summary>Bucket name.</summary>
    public string Bucket { get; }

    /// <summary>Object name (key); may contain <c>/</c>. Empty for a bucket-level pre-authenticated URL.</summary>
    public string Key { get; }

    /// <summary>True for a bucket-level pre-authenticated URL, which needs <see cref="WithObject"/> before use.</summary>
    public bool IsBucketLevel => Key.Length == 0;

    /// <summary>The HTTP endpoint of a URL location: scheme, host and port.</summary>
    public Uri? Endpoint => Url is null ? null : new Uri(Url.GetLeftPart(UriPartial.Authority));

    /// <summary>A bucket and object in the configured store <paramref name="store"/>.</summary>
    /// <exception cref="ObjectStorageException">A name is invalid (<see cref="ObjectStorageError.InvalidLocation"/>).</exception>
    public static ObjectLocation ForStore(string store, string bucket, string key)
    {
        if (string.IsNullOrWhiteSpace(store))
        {
            throw Invalid("The object store name is empty.");
        }

        ValidateBucket(bucket);
        ValidateKey(key);
        return new ObjectLocation(ObjectLocationKind.Store, store, null, null, bucket, key);
    }

    /// <summary>Parses an object-storage, path-style, pre-signed or pre-authenticated URL.</summary>
    /// <param name="url">The URL (treated as a secret: never echoed back in errors).</param>
    /// <param name="allowBucketLevel">Accept a bucket-level pre-authenticated URL (no object name) for exports.</param>
    /// <exception cref="ObjectStorageException">The URL is malformed (<see cref="ObjectStorageError.InvalidLocation"/>), the message says why.</exception>
    public static ObjectLocation Parse(string url, bool allowBucketLevel = false)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw Invalid("The object URL is empty.");
        }

        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw Invalid("The object URL must be an absolute http:// or https:// URL.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw Invalid($"The object URL {RedactUrl(uri)} must not carry user:password credentials; use a store with a credentials Secret or a pre-authenticated URL.");
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            throw Invalid($"The object URL {RedactUrl(uri)} must not have a #fragment.");
        }

        // Work on the raw (still escaped) path so that an escaped '/' inside an object name is not taken for a separator.
        var segments = uri.AbsolutePath.Split('/');
        var preauthenticated = HasSignatureQuery(uri);
        var index = 1;
        if (segments.Length > 3 && segments[1] == "p" && segments[2].Length > 0)
        {
            preauthenticated = true;
            index = 3;
        }

        var kind = preauthenticated ? ObjectLocationKind.PreauthenticatedUrl : ObjectLocationKind.Url;
        if (segments.Length > index + 3 && segments[index] == "n" && segments[index + 2] == "b")
        {
            return ParseNamespaced(uri, kind, segments, index, allowBucketLevel);
        }

        if (index == 3)
        {
            throw Invalid($"The pre-authenticated URL {RedactUrl(uri)} must continue with /n/<namespace>/b/<bucket>/o/<object> after its token.");
        }

        // Path style: /<bucket>/<key...>
        if (segments.Length < 3 || segments[1].Length == 0 || string.Join('/', segments[2..]).Length == 0)
        {
            throw Invalid($"The object URL {RedactUrl(uri)} names no object: expected https://host/n/<namespace>/b/<bucket>/o/<object> or https://host/<bucket>/<object>.");
        }

        var bucket = Unescape(segments[1], uri);
        ValidateBucket(bucket);
        var key = Unescape(string.Join('/', segments[2..]), uri);
        ValidateKey(key);
        return new ObjectLocation(kind, null, uri, null, bucket, key);
    }

    /// <summary>
    /// For a bucket-level pre-authenticated URL: the location of <paramref name="objectName"/> in that bucket
    /// (appends <c>/o/&lt;object&gt;</c>, escaping the name).
    /// </summary>
    public ObjectLocation WithObject(string objectName)
    {
        if (!IsBucketLevel || Url is null)
        {
            throw new InvalidOperationException($"{this} already names an object.");
        }

        ValidateKey(objectName);
        var builder = new UriBuilder(Url);
        var path = builder.Path.TrimEnd('/');
        builder.Path = (path.EndsWith("/o", StringComparison.Ordinal) ? path : path + "/o") + "/" + EscapeKey(objectName);
        return new ObjectLocation(Kind, Store, builder.Uri, ObjectNamespace, Bucket, objectName);
    }

    /// <summary>A description safe for logs, events and status: no query string, no pre-authentication token.</summary>
    public override string ToString() => Kind == ObjectLocationKind.Store
        ? $"store '{Store}' bucket '{Bucket}' object '{Key}'"
        : RedactUrl(Url!);

    /// <summary>
    /// <paramref name="url"/> without secrets: the query string becomes <c>REDACTED</c>, as does the token of a
    /// <c>/p/&lt;token&gt;/</c> pre-authenticated path.
    /// </summary>
    public static string RedactUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            return Redacted;
        }

        var path = url.AbsolutePath;
        if (path.StartsWith("/p/", StringComparison.Ordinal))
        {
            var end = path.IndexOf('/', 3);
            path = "/p/" + Redacted + (end < 0 ? string.Empty : path[end..]);
        }

        var text = new StringBuilder().Append(url.Scheme).Append("://").Append(url.Authority).Append(path);
        if (url.Query.Length > 0)
        {
            text.Append('?').Append(Redacted);
        }

        return text.ToString();
    }

    /// <summary>Escapes an object name for a URL path, keeping <c>/</c> as the separator S3 expects.</summary>
    public static string EscapeKey(string key) => string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    private static ObjectLocation ParseNamespaced(Uri uri, ObjectLocationKind kind, string[] segments, int index, bool allowBucketLevel)
    {
        var objectNamespace = Unescape(segments[index + 1], uri);
        var bucket = Unescape(segments[index + 3], uri);
        if (objectNamespace.Length == 0)
        {
            throw Invalid($"The object URL {RedactUrl(uri)} has an empty namespace after /n/.");
        }

        ValidateBucket(bucket);
        var rest = segments[(index + 4)..];
        var bucketLevel = rest.Length == 0 || (rest.Length == 1 && rest[0].Length == 0) || (rest[0] == "o" && string.Join('/', rest[1..]).Length == 0);
        if (bucketLevel)
        {
            if (!allowBucketLevel || kind != ObjectLocationKind.PreauthenticatedUrl)
            {
                throw Invalid($"The object URL {RedactUrl(uri)} names a bucket but no object: append /o/<object>.");
            }

            return new ObjectLocation(kind, null, uri, objectNamespace, bucket, string.Empty);
        }

        if (rest[0] != "o")
        {
            throw Invalid($"The object URL {RedactUrl(uri)} must continue with /o/<object> after /b/<bucket>.");
        }

        var key = Unescape(string.Join('/', rest[1..]), uri);
        ValidateKey(key);
        return new ObjectLocation(kind, null, uri, objectNamespace, bucket, key);
    }

    private static bool HasSignatureQuery(Uri uri)
    {
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = pair.Split('=', 2)[0];
            if (name.Equals("X-Amz-Signature", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Amz-Credential", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Signature", StringComparison.OrdinalIgnoreCase)
                || name.Equals("AWSAccessKeyId", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Unescape(string segment, Uri uri)
    {
        try
        {
            return Uri.UnescapeDataString(segment);
        }
        catch (UriFormatException)
        {
            throw Invalid($"The object URL {RedactUrl(uri)} has an invalid %-escape.");
        }
    }

    // S3 bucket naming rules (RGW and MinIO enforce the same): 3-63 characters of lowercase letters, digits,
    // dots and hyphens, starting and ending with a letter or digit.
    private static void ValidateBucket(string bucket)
    {
        if (string.IsNullOrEmpty(bucket))
        {
            throw Invalid("The bucket name is empty.");
        }

        if (bucket.Length is < 3 or > 63
            || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            throw Invalid($"The bucket name '{bucket}' is invalid: use 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit.");
        }
    }

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw Invalid("The object name is empty.");
        }

        if (Encoding.UTF8.GetByteCount(key) > 1024)
        {
            throw Invalid("The object name is longer than 1024 bytes.");
        }

        if (key.Any(char.IsControl))
        {
            throw Invalid("The object name contains control characters.");
        }
    }

    private static ObjectStorageException Invalid(string message) => new(ObjectStorageError.InvalidLocation, message);
}
