using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ImageOperator.Storage;

/// <summary>
/// AWS Signature Version 4 for S3 requests (header form). Used for the multipart calls (initiate, upload part,
/// complete, abort) that Minio 7.0.0 keeps internal; everything else goes through the Minio SDK.
/// </summary>
internal sealed class S3RequestSigner
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private readonly ObjectStoreCredentials _credentials;
    private readonly string _region;

    public S3RequestSigner(ObjectStoreCredentials credentials, string region)
    {
        _credentials = credentials;
        _region = region;
    }

    /// <summary>Signs <paramref name="request"/>, whose body hash is <paramref name="payloadSha256Hex"/>.</summary>
    public void Sign(HttpRequestMessage request, string payloadSha256Hex, DateTimeOffset now)
    {
        var uri = request.RequestUri!;
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadSha256Hex);

        const string signedHeaders = "host;x-amz-content-sha256;x-amz-date";
        var canonicalRequest = string.Join('\n',
            request.Method.Method,
            uri.AbsolutePath,
            CanonicalQuery(uri.Query),
            $"host:{host}",
            $"x-amz-content-sha256:{payloadSha256Hex}",
            $"x-amz-date:{amzDate}",
            string.Empty,
            signedHeaders,
            payloadSha256Hex);
        var scope = $"{date}/{_region}/s3/aws4_request";
        var stringToSign = string.Join('\n', Algorithm, amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + _credentials.SecretKey), date);
        key = Hmac(key, _region);
        key = Hmac(key, "s3");
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, stringToSign));
        request.Headers.TryAddWithoutValidation(
            "Authorization", $"{Algorithm} Credential={_credentials.AccessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    /// <summary>Lowercase hex SHA-256 of <paramref name="data"/>.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> data) => Hex(SHA256.HashData(data));

    // Query parameters sorted by name, each name and value RFC 3986-escaped. The request URIs built here are
    // already escaped that way, so only sorting (and "=" for valueless names like "uploads") is needed.
    private static string CanonicalQuery(string query) =>
        string.Join('&', query.TrimStart('?')
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Contains('=', StringComparison.Ordinal) ? p : p + "=")
            .Order(StringComparer.Ordinal));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
