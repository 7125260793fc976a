namespace ImageOperator.Webhooks;

/// <summary>How an object-storage URL names its bucket and object.</summary>
public enum ObjectUrlStyle
{
    /// <summary><c>https://host/n/&lt;namespace&gt;/b/&lt;bucket&gt;/o/&lt;object&gt;</c>.</summary>
    ObjectStorage,

    /// <summary>A pre-authenticated request: <c>https://host/p/&lt;token&gt;/n/&lt;namespace&gt;/b/&lt;bucket&gt;/o/&lt;object&gt;</c>.</summary>
    PreAuthenticated,

    /// <summary>S3 path style: <c>https://host/&lt;bucket&gt;/&lt;key&gt;</c>, possibly pre-signed.</summary>
    PathStyle,
}

/// <summary>
/// An object-storage URL taken apart (SPEC §7). Nothing here ever reproduces the URL text: it may grant access.
/// </summary>
/// <param name="Style">How the URL names bucket and object.</param>
/// <param name="Bucket">The bucket.</param>
/// <param name="Object">The object, or empty for a bucket-level URL.</param>
/// <param name="GrantsAccess">Whether the URL itself carries credentials (a pre-authenticated or pre-signed URL).</param>
/// <param name="IsEncrypted">Whether the scheme is https.</param>
public sealed record ObjectUrl(ObjectUrlStyle Style, string Bucket, string Object, bool GrantsAccess, bool IsEncrypted)
{
    /// <summary>True when the URL names a bucket but no object.</summary>
    public bool IsBucketLevel => Object.Length == 0;

    /// <summary>Parses <paramref name="text"/>, or explains why it is not an object-storage URL.</summary>
    public static ObjectUrl? TryParse(string text, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = string.Empty;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.Host.Length == 0)
        {
            problem = "is not an absolute http(s) URL";
            return null;
        }

        if (uri.UserInfo.Length > 0)
        {
            problem = "must not carry a user name or password; give credentials through the object store or a Secret";
            return null;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.None).Skip(1).ToArray();
        var presigned = HasSignature(uri.Query);
        var encrypted = uri.Scheme == Uri.UriSchemeHttps;

        // /p/<token>/n/<ns>/b/<bucket>/o/<object...> or /n/<ns>/b/<bucket>/o/<object...>; a bucket-level URL ends
        // after the bucket or after /o/.
        var offset = segments.Length > 1 && segments[0] == "p" ? 2 : 0;
        if (segments.Length >= offset + 4 && segments[offset] == "n" && segments[offset + 2] == "b")
        {
            var bucket = Uri.UnescapeDataString(segments[offset + 3]);
            var rest = segments.AsSpan(offset + 4);
            var bucketLevel = rest is [] or [""];
            if (bucket.Length == 0 || segments[offset + 1].Length == 0 || (!bucketLevel && rest[0] != "o"))
            {
                problem = "is not of the form https://<host>/n/<namespace>/b/<bucket>/o/<object>";
                return null;
            }

            var objectName = bucketLevel ? string.Empty : Uri.UnescapeDataString(string.Join('/', rest[1..].ToArray()));
            var style = offset == 2 ? ObjectUrlStyle.PreAuthenticated : ObjectUrlStyle.ObjectStorage;
            return new ObjectUrl(style, bucket, objectName, offset == 2 || presigned, encrypted);
        }

        if (segments.Length == 0 || segments[0].Length == 0)
        {
            problem = "names no bucket (expected https://<host>/n/<namespace>/b/<bucket>/o/<object> or https://<host>/<bucket>/<object>)";
            return null;
        }

        var key = Uri.UnescapeDataString(string.Join('/', segments.Skip(1)));
        return new ObjectUrl(ObjectUrlStyle.PathStyle, Uri.UnescapeDataString(segments[0]), key, presigned, encrypted);
    }

    /// <summary>Query parameters of S3 pre-signed URLs (SigV4 and SigV2).</summary>
    private static bool HasSignature(string query) =>
        query.Contains("X-Amz-Signature=", StringComparison.OrdinalIgnoreCase)
        || query.Contains("X-Amz-Credential=", StringComparison.OrdinalIgnoreCase)
        || query.Contains("Signature=", StringComparison.Ordinal);
}
