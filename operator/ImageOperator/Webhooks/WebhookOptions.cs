namespace ImageOperator.Webhooks;

/// <summary>Settings of the admission webhook server, bound from <c>ImageOperator:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>Name of the configuration section.</summary>
    public const string Section = "ImageOperator:Webhooks";

    /// <summary>Whether to serve the admission webhooks.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>HTTPS port of the webhooks; 0 picks a free port.</summary>
    public int Port { get; set; } = 9443;

    /// <summary>Address the webhook port binds to.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Folder of a mounted <c>tls.crt</c>/<c>tls.key</c>; without one a CA and serving certificate are generated.</summary>
    public string CertificateDirectory { get; set; } = "/tmp/k8s-webhook-server/serving-certs";

    /// <summary>
    /// Secret in <see cref="ServiceNamespace"/> through which the replicas share the generated certificate (the first
    /// one creates it, any one rotates it); empty generates a certificate per process, for a single replica only.
    /// </summary>
    public string CertificateSecretName { get; set; } = "image-operator-webhook-generated-cert";

    /// <summary>Name of the Service in front of the webhooks (a DNS name of a generated certificate).</summary>
    public string ServiceName { get; set; } = "image-operator-webhook";

    /// <summary>Namespace of that Service: the operator's own namespace.</summary>
    public string ServiceNamespace { get; set; } = "image-operator-system";

    /// <summary>Whether to write the certificate's CA into the webhook configurations at start-up.</summary>
    public bool InjectCaBundle { get; set; } = true;

    /// <summary>Name of our ValidatingWebhookConfiguration.</summary>
    public string ValidatingConfigurationName { get; set; } = "image-operator-validating-webhook";

    /// <summary>Name of our MutatingWebhookConfiguration.</summary>
    public string MutatingConfigurationName { get; set; } = "image-operator-mutating-webhook";
}
