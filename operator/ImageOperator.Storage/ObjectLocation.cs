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
    /// <summary>The longest object name S3 accepts, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

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

    /// <summary>Object name (key); may contain <c>/</c>. Empty for a bucket-level URL.</summary>
    public string Key { get; }

    /// <summary>True for a URL that names a bucket but no object (parsed with <c>allowBucketLevel</c>), which needs <see cref="WithObject"/> before use.</summary>
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

        ThrowIfInvalid(BucketProblem(bucket) ?? ObjectNameProblem(key));
        return new ObjectLocation(ObjectLocationKind.Store, store, null, null, bucket, key);
    }

    /// <summary>Parses an object-storage, path-style, pre-signed or pre-authenticated URL.</summary>
    /// <param name="url">The URL (treated as a secret: never echoed back in errors).</param>
    /// <param name="allowBucketLevel">Accept a URL that names a bucket but no object (an export destination, see <see cref="WithObject"/>).</param>
    /// <exception cref="ObjectStorageException">The URL is malformed (<see cref="ObjectStorageError.InvalidLocation"/>), the message says why.</exception>
    public static ObjectLocation Parse(string url, bool allowBucketLevel = false) =>
        TryParse(url, allowBucketLevel, out var uri, out var problem)
        ?? throw Invalid(uri is null ? $"The object URL {problem}." : $"The object URL {RedactUrl(uri)} {problem}.");

    /// <summary>
    /// Parses like <see cref="Parse"/>, or says why it cannot: <paramref name="problem"/> completes the phrase
    /// "the URL …" and never quotes the URL, so that admission can report it under the name of the field.
    /// </summary>
    public static ObjectLocation? TryParse(string url, bool allowBucketLevel, out string problem) =>
        TryParse(url, allowBucketLevel, out _, out problem);

    private static ObjectLocation? TryParse(string? url, bool allowBucketLevel, out Uri? uri, out string problem)
    {
        uri = null;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(url))
        {
            problem = "is empty";
            return null;
        }

        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp) || parsed.Host.Length == 0)
        {
            problem = "is not an absolute http(s) URL";
            return null;
        }

        uri = parsed;
        if (!string.IsNullOrEmpty(parsed.UserInfo))
        {
            problem = "must not carry a user name or password; give credentials through the object store or a Secret";
            return null;
        }

        if (!string.IsNullOrEmpty(parsed.Fragment))
        {
            problem = "must not have a #fragment";
            return null;
        }

        // Work on the raw (still escaped) path so that an escaped '/' inside an object name is not taken for a separator.
        var segments = parsed.AbsolutePath.Split('/');
        var preauthenticated = HasSignatureQuery(parsed);
        var index = 1;
        if (segments.Length > 3 && segments[1] == "p" && segments[2].Length > 0)
        {
            preauthenticated = true;
            index = 3;
        }

        var kind = preauthenticated ? ObjectLocationKind.PreauthenticatedUrl : ObjectLocationKind.Url;
        if (segments.Length > index + 3 && segments[index] == "n" && segments[index + 2] == "b")
        {
            return ParseNamespaced(parsed, kind, segments, index, allowBucketLevel, out problem);
        }

        if (index == 3)
        {
            problem = "must continue with /n/<namespace>/b/<bucket>/o/<object> after its pre-authentication token";
            return null;
        }

        // Path style: /<bucket>/<key...>, or /<bucket>[/] for a bucket.
        const string Forms = "(expected https://<host>/n/<namespace>/b/<bucket>/o/<object> or https://<host>/<bucket>/<object>)";
        if (segments.Length < 2 || segments[1].Length == 0)
        {
            problem = $"names no bucket {Forms}";
            return null;
        }

        var escapedKey = string.Join('/', segments[2..]);
        if (escapedKey.Length == 0 && !allowBucketLevel)
        {
            problem = $"names no object {Forms}";
            return null;
        }

        // UnescapeDataString leaves a malformed %-escape as it is: such a name is then refused or used verbatim.
        var bucket = Uri.UnescapeDataString(segments[1]);
        var key = Uri.UnescapeDataString(escapedKey);
        return Validate(bucket, key, bucketLevel: key.Length == 0, out problem) ? new ObjectLocation(kind, null, parsed, null, bucket, key) : null;
    }

    /// <summary>
    /// For a bucket-level URL: the location of <paramref name="objectName"/> in that bucket (appends
    /// <c>/o/&lt;object&gt;</c> to an object-storage URL, <c>/&lt;object&gt;</c> to a path-style one, escaping the name).
    /// </summary>
    public ObjectLocation WithObject(string objectName)
    {
        if (!IsBucketLevel || Url is null)
        {
            throw new InvalidOperationException($"{this} already names an object.");
        }

        ThrowIfInvalid(ObjectNameProblem(objectName));
        var builder = new UriBuilder(Url);
        var path = builder.Path.TrimEnd('/');
        if (ObjectNamespace is not null && !path.EndsWith("/o", StringComparison.Ordinal))
        {
            path += "/o";
        }

        builder.Path = path + "/" + EscapeKey(objectName);
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

    /// <summary>Why S3 would refuse <paramref name="key"/> as an object name (a phrase such as "the object name is empty"), or null.</summary>
    public static string? ObjectNameProblem(string key) =>
        string.IsNullOrEmpty(key) ? "the object name is empty"
        : Encoding.UTF8.GetByteCount(key) > MaxKeyBytes ? $"the object name is longer than {MaxKeyBytes} bytes"
        : key.Any(char.IsControl) ? "the object name contains control characters"
        : null;

    private static ObjectLocation? ParseNamespaced(Uri uri, ObjectLocationKind kind, string[] segments, int index, bool allowBucketLevel, out string problem)
    {
        var objectNamespace = Uri.UnescapeDataString(segments[index + 1]);
        var bucket = Uri.UnescapeDataString(segments[index + 3]);
        if (objectNamespace.Length == 0)
        {
            problem = "has an empty namespace after /n/";
            return null;
        }

        var rest = segments[(index + 4)..];
        var bucketLevel = rest.Length == 0 || (rest.Length == 1 && rest[0].Length == 0) || (rest[0] == "o" && string.Join('/', rest[1..]).Length == 0);
        if (bucketLevel && !allowBucketLevel)
        {
            problem = "names a bucket but no object: append /o/<object>";
            return null;
        }

        if (!bucketLevel && rest[0] != "o")
        {
            problem = "is not of the form https://<host>/n/<namespace>/b/<bucket>/o/<object>";
            return null;
        }

        var key = bucketLevel ? string.Empty : Uri.UnescapeDataString(string.Join('/', rest[1..]));
        return Validate(bucket, key, bucketLevel, out problem) ? new ObjectLocation(kind, null, uri, objectNamespace, bucket, key) : null;
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

    private static bool Validate(string bucket, string key, bool bucketLevel, out string problem)
    {
        var invalid = BucketProblem(bucket) ?? (bucketLevel ? null : ObjectNameProblem(key));
        problem = invalid is null ? string.Empty : $"is refused: {invalid}";
        return invalid is null;
    }

    // S3 bucket naming rules (RGW and MinIO enforce the same): 3-63 characters of lowercase letters, digits,
    // dots and hyphens, starting and ending with a letter or digit.
    private static string? BucketProblem(string bucket) =>
        string.IsNullOrEmpty(bucket) ? "the bucket name is empty"
        : bucket.Length is < 3 or > 63
            || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1])
            ? $"the bucket name '{bucket}' is invalid: use 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit"
        : null;

    private static void ThrowIfInvalid(string? problem)
    {
        if (problem is not null)
        {
            throw Invalid(char.ToUpperInvariant(problem[0]) + problem[1..] + ".");
        }
    }

    private static ObjectStorageException Invalid(string message) => new(ObjectStorageError.InvalidLocation, message);
}
