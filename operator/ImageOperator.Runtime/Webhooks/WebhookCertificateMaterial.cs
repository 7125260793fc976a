using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// A serving certificate, its private key and the CA bundle that signs it, as PEM: the content of a
/// <c>kubernetes.io/tls</c> Secret (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>), the layout cert-manager writes.
/// </summary>
/// <param name="CertificatePem">The serving certificate (<c>tls.crt</c>).</param>
/// <param name="PrivateKeyPem">Its PKCS#8 private key (<c>tls.key</c>).</param>
/// <param name="CaBundlePem">The CA certificates the API server must trust (<c>ca.crt</c>, a webhook's <c>caBundle</c>).</param>
public sealed record WebhookCertificateMaterial(string CertificatePem, string PrivateKeyPem, string CaBundlePem)
{
    /// <summary>Secret key of the serving certificate.</summary>
    public const string CertificateKey = "tls.crt";

    /// <summary>Secret key of the private key.</summary>
    public const string PrivateKeyKey = "tls.key";

    /// <summary>Secret key of the CA bundle.</summary>
    public const string CaBundleKey = "ca.crt";

    /// <summary>Clock skew between replicas and the API server that a fresh certificate tolerates.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Generates a CA and a serving certificate for <see cref="WebhookCertificateOptions.DnsNames"/> and
    /// <see cref="WebhookCertificateOptions.IpAddresses"/>, valid from <paramref name="notBefore"/> to
    /// <paramref name="notAfter"/>. The CA's key is discarded: a new pair replaces both. <paramref name="previousCa"/>,
    /// when still valid, stays in the bundle, so that replicas serving the previous certificate remain trusted
    /// until they load the new one.
    /// </summary>
    public static WebhookCertificateMaterial Generate(
        WebhookCertificateOptions options, DateTimeOffset notBefore, DateTimeOffset notAfter, X509Certificate2? previousCa = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=image-operator-webhook-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = options.DnsNames.Count > 0 ? options.DnsNames[0] : "image-operator-webhook";
        var request = new CertificateRequest(new X500DistinguishedName($"CN={subject}"), serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in options.DnsNames)
        {
            names.AddDnsName(dns);
        }

        foreach (var ip in options.IpAddresses)
        {
            names.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(names.Build(true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        using var signed = request.Create(ca, notBefore, notAfter, serial);

        var bundle = new StringBuilder(ca.ExportCertificatePem()).Append('\n');
        if (previousCa is not null && previousCa.NotAfter.ToUniversalTime() > DateTime.UtcNow)
        {
            bundle.Append(previousCa.ExportCertificatePem()).Append('\n');
        }

        return new WebhookCertificateMaterial(signed.ExportCertificatePem() + "\n", serverKey.ExportPkcs8PrivateKeyPem() + "\n", bundle.ToString());
    }

    /// <summary>Generates material valid for <see cref="WebhookCertificateOptions.GeneratedValidity"/> from now.</summary>
    public static WebhookCertificateMaterial Generate(WebhookCertificateOptions options, X509Certificate2? previousCa = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var notBefore = DateTimeOffset.UtcNow - ClockSkew;
        return Generate(options, notBefore, notBefore + options.GeneratedValidity, previousCa);
    }

    /// <summary>The material of a Secret's data, or null when one of its three keys is missing.</summary>
    public static WebhookCertificateMaterial? FromSecretData(IDictionary<string, byte[]>? data) =>
        data is not null
        && data.TryGetValue(CertificateKey, out var certificate)
        && data.TryGetValue(PrivateKeyKey, out var key)
        && data.TryGetValue(CaBundleKey, out var bundle)
            ? new WebhookCertificateMaterial(Encoding.ASCII.GetString(certificate), Encoding.ASCII.GetString(key), Encoding.ASCII.GetString(bundle))
            : null;

    /// <summary>The Secret data holding this material.</summary>
    public Dictionary<string, byte[]> ToSecretData() => new(StringComparer.Ordinal)
    {
        [CertificateKey] = Encoding.ASCII.GetBytes(CertificatePem),
        [PrivateKeyKey] = Encoding.ASCII.GetBytes(PrivateKeyPem),
        [CaBundleKey] = Encoding.ASCII.GetBytes(CaBundlePem),
    };

    /// <summary>
    /// Why this material must be replaced at <paramref name="now"/>: unreadable, not signed by its bundle, not yet
    /// valid, expired or expiring within <see cref="WebhookCertificateOptions.RenewBefore"/>, or missing one of the
    /// DNS names in <paramref name="options"/>. Null when it can be served.
    /// </summary>
    public string? Problem(WebhookCertificateOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        X509Certificate2 certificate;
        var authorities = new X509Certificate2Collection();
        try
        {
            certificate = X509Certificate2.CreateFromPem(CertificatePem, PrivateKeyPem);
            authorities.ImportFromPem(CaBundlePem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // ArgumentException: a readable key of another certificate.
            return "its certificate, key or CA bundle cannot be read, or the key does not match the certificate";
        }

        try
        {
            if (new DateTimeOffset(certificate.NotBefore) > now + ClockSkew)
            {
                return $"its certificate is not valid before {certificate.NotBefore.ToUniversalTime():u}";
            }

            if (new DateTimeOffset(certificate.NotAfter) - options.RenewBefore <= now)
            {
                return $"its certificate expires at {certificate.NotAfter.ToUniversalTime():u}";
            }

            var covered = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(names => names.EnumerateDnsNames()).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var missing = options.DnsNames.Where(name => !covered.Contains(name)).ToList();
            if (missing.Count > 0)
            {
                return $"its certificate does not cover {string.Join(", ", missing)}";
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            return chain.Build(certificate) ? null : "its certificate is not signed by a CA of its ca.crt";
        }
        finally
        {
            certificate.Dispose();
            foreach (var authority in authorities)
            {
                authority.Dispose();
            }
        }
    }

    /// <summary>The first CA of the bundle (the one that signed the certificate when this library generated it).</summary>
    public X509Certificate2? FirstCa()
    {
        try
        {
            return X509Certificate2.CreateFromPem(CaBundlePem);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The certificate with its key, usable by SslStream.</summary>
    internal X509Certificate2 ToServingCertificate()
    {
        using var pem = X509Certificate2.CreateFromPem(CertificatePem, PrivateKeyPem);
        return WebhookCertificateProvider.ForTls(pem);
    }
}
