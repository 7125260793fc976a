using System.Net;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>Where the webhook server's TLS certificate comes from.</summary>
public sealed class WebhookCertificateOptions
{
    /// <summary>
    /// Folder holding a mounted <c>tls.crt</c>/<c>tls.key</c> (and optionally <c>ca.crt</c>), e.g. a cert-manager
    /// Secret. When it holds no certificate, a CA and serving certificate are generated.
    /// </summary>
    public string? CertificateDirectory { get; set; } = "/tmp/k8s-webhook-server/serving-certs";

    /// <summary>
    /// Secret in <see cref="SecretNamespace"/> through which every replica shares one generated CA and serving
    /// certificate (the first replica creates it). Without one, each process generates its own, which only works
    /// with a single replica: the API server trusts one CA bundle.
    /// </summary>
    public string? SecretName { get; set; }

    /// <summary>Namespace of <see cref="SecretName"/>: the operator's own namespace.</summary>
    public string? SecretNamespace { get; set; }

    /// <summary>DNS names of the generated serving certificate, e.g. <c>image-operator-webhook.image-operator.svc</c>.</summary>
    public IList<string> DnsNames { get; } = [];

    /// <summary>IP addresses of the generated serving certificate.</summary>
    public IList<IPAddress> IpAddresses { get; } = [IPAddress.Loopback];

    /// <summary>Validity of the generated certificates.</summary>
    public TimeSpan GeneratedValidity { get; set; } = TimeSpan.FromDays(365);

    /// <summary>A shared certificate that expires within this time is replaced by a new one.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often each replica re-reads the shared Secret, to serve a certificate another replica rotated.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether the generated certificate is shared through a Secret.</summary>
    internal bool SharesThroughSecret => !string.IsNullOrEmpty(SecretName);

    /// <summary>The DNS names a Service <paramref name="service"/> in <paramref name="namespace"/> is reached by.</summary>
    public static IEnumerable<string> ServiceDnsNames(string service, string @namespace) =>
    [
        service,
        $"{service}.{@namespace}",
        $"{service}.{@namespace}.svc",
        $"{service}.{@namespace}.svc.cluster.local",
    ];
}
