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

        // Uri normalises '.' and '..' segments (also percent-encoded ones) and turns '\\' into '/' before its path can
        // be read, so such a URL would silently name another bucket or object: the raw text is checked first.
        if (RawPathProblem(url.Trim()) is { } rawProblem)
        {
            problem = rawProblem;
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

    /// <summary>
    /// Why <paramref name="key"/> is refused as an object name (a phrase such as "the object name is empty"), or null.
    /// Keys are data, never paths: besides S3's own limits, nothing that a client, proxy or server could normalise
    /// into another object or bucket is accepted: <c>.</c> and <c>..</c> segments, empty segments (<c>a//b</c>, a
    /// trailing <c>/</c>), a leading <c>/</c>, backslashes, control characters, and percent-encoded forms of these
    /// (also <c>%25</c>, a percent-encoded percent that a second decoding would turn into one).
    /// </summary>
    public static string? ObjectNameProblem(string key) =>
        string.IsNullOrEmpty(key) ? "the object name is empty"
        : Encoding.UTF8.GetByteCount(key) > MaxKeyBytes ? $"the object name is longer than {MaxKeyBytes} bytes"
        : key.Any(char.IsControl) ? "the object name contains control characters"
        : key.Contains('\\', StringComparison.Ordinal) ? "the object name contains a backslash"
        : key[0] == '/' ? "the object name starts with '/'"
        : EncodedSeparatorProblem(key)
        ?? key.Split('/').Select(SegmentProblem).FirstOrDefault(p => p is not null);

    private static string? SegmentProblem(string segment) => segment switch
    {
        "" => "the object name has an empty segment ('//' or a trailing '/')",
        "." or ".." => $"the object name has a '{segment}' segment",
        _ => null,
    };

    // Percent-encoded dots, slashes, backslashes, percents and control characters: a name holding them reads as
    // another name to whoever decodes it once more.
    private static string? EncodedSeparatorProblem(string key)
    {
        for (var i = key.IndexOf('%', StringComparison.Ordinal); i >= 0 && i + 2 < key.Length; i = key.IndexOf('%', i + 1))
        {
            if (byte.TryParse(key.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var value)
                && (value is (byte)'.' or (byte)'/' or (byte)'\\' or (byte)'%' || value < 0x20 || value == 0x7f))
            {
                return $"the object name contains the percent-encoded character '{key.Substring(i, 3)}'";
            }
        }

        return null;
    }

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

    /// <summary>Why the path of <paramref name="url"/>, as written, would be rewritten by URL normalisation, or null.</summary>
    private static string? RawPathProblem(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return null;
        }

        var end = url.IndexOfAny(['?', '#'], scheme + 3);
        var beforeQuery = end < 0 ? url[(scheme + 3)..] : url[(scheme + 3)..end];
        if (beforeQuery.Contains('\\', StringComparison.Ordinal))
        {
            return "has a backslash in its path";
        }

        var pathStart = beforeQuery.IndexOf('/', StringComparison.Ordinal);
        if (pathStart < 0)
        {
            return null;
        }

        foreach (var segment in beforeQuery[(pathStart + 1)..].Split('/'))
        {
            var decoded = Uri.UnescapeDataString(segment);
            if (decoded is "." or "..")
            {
                return $"has a '{segment}' segment in its path (object names are data, never paths)";
            }
        }

        return null;
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

    /// <summary>
    /// Why S3 refuses <paramref name="bucket"/> as a bucket name (RGW and MinIO enforce the same rules: 3-63 lowercase
    /// letters, digits, dots and hyphens, starting and ending with a letter or digit, no two dots in a row, not an IP
    /// address), or null.
    /// </summary>
    public static string? BucketProblem(string bucket) =>
        string.IsNullOrEmpty(bucket) ? "the bucket name is empty"
        : bucket.Length is < 3 or > 63
            || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1])
            || bucket.Contains("..", StringComparison.Ordinal) || IsIpAddressShaped(bucket)
            ? $"the bucket name '{bucket}' is invalid: use 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit, with no '..' and not shaped like an IP address"
        : null;

    private static bool IsIpAddressShaped(string bucket)
    {
        var parts = bucket.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
    }

    private static void ThrowIfInvalid(string? problem)
    {
        if (problem is not null)
        {
            throw Invalid(char.ToUpperInvariant(problem[0]) + problem[1..] + ".");
        }
    }

    private static ObjectStorageException Invalid(string message) => new(ObjectStorageError.InvalidLocation, message);
}
