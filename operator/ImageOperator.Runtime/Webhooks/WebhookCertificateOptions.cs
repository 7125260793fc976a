using System.Net;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>Where the webhook server's TLS certificate comes from.</summary>
public sealed class WebhookCertificateOptions
{
    /// <summary>
    /// Folder holding a mounted <c>tls.crt</c>/<c>tls.key</c> (and optionally <c>ca.crt</c>), e.g. a cert-manager
    /// Secret. When it holds no certificate, a self-signed CA and serving certificate are generated.
    /// </summary>
    public string? CertificateDirectory { get; set; } = "/tmp/k8s-webhook-server/serving-certs";

    /// <summary>DNS names of the generated serving certificate, e.g. <c>image-operator-webhook.image-operator.svc</c>.</summary>
    public IList<string> DnsNames { get; } = [];

    /// <summary>IP addresses of the generated serving certificate.</summary>
    public IList<IPAddress> IpAddresses { get; } = [IPAddress.Loopback];

    /// <summary>Validity of the generated certificates.</summary>
    public TimeSpan GeneratedValidity { get; set; } = TimeSpan.FromDays(365);

    /// <summary>The DNS names a Service <paramref name="service"/> in <paramref name="namespace"/> is reached by.</summary>
    public static IEnumerable<string> ServiceDnsNames(string service, string @namespace) =>
    [
        service,
        $"{service}.{@namespace}",
        $"{service}.{@namespace}.svc",
        $"{service}.{@namespace}.svc.cluster.local",
    ];
}
