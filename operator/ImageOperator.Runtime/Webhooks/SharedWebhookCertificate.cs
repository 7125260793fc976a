using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// Shares one generated CA and serving certificate between every replica through a <c>kubernetes.io/tls</c> Secret
/// (<see cref="WebhookCertificateOptions.SecretName"/>): the first replica to start creates it, the others read
/// it; whoever finds it expired, expiring within <see cref="WebhookCertificateOptions.RenewBefore"/>, unreadable or
/// not covering the Service's DNS names replaces it (optimistic concurrency: a lost race reads the winner's).
/// The certificate is loaded before the HTTPS server listens (<see cref="StartingAsync"/>) and re-read every
/// <see cref="WebhookCertificateOptions.RefreshInterval"/>, so that each replica serves what another one rotated.
/// </summary>
/// <param name="client">The Kubernetes client.</param>
/// <param name="options">Secret name, namespace and validity settings.</param>
/// <param name="certificates">The provider that serves what is loaded.</param>
/// <param name="logger">The logger.</param>
public sealed class SharedWebhookCertificate(
    IKubernetes client,
    WebhookCertificateOptions options,
    WebhookCertificateProvider certificates,
    ILogger<SharedWebhookCertificate> logger) : BackgroundService, IHostedLifecycleService
{
    /// <summary>Creations or replacements lost to other replicas before giving up; each loss leaves a usable Secret behind.</summary>
    private const int Attempts = 5;

    private bool Active => certificates.Source == WebhookCertificateSource.Secret;

    /// <summary>
    /// Returns the Secret's certificate when it can be served, else creates or replaces it with a new one and returns
    /// that; when another replica writes first, returns theirs.
    /// </summary>
    public async Task<WebhookCertificateMaterial> EnsureAsync(CancellationToken cancellationToken)
    {
        var name = options.SecretName!;
        var ns = options.SecretNamespace!;
        for (var attempt = 1; ; attempt++)
        {
            var secret = await ReadAsync(name, ns, cancellationToken).ConfigureAwait(false);
            var current = WebhookCertificateMaterial.FromSecretData(secret?.Data);
            var problem = secret is null ? "it does not exist"
                : current is null ? $"it lacks one of {WebhookCertificateMaterial.CertificateKey}, {WebhookCertificateMaterial.PrivateKeyKey}, {WebhookCertificateMaterial.CaBundleKey}"
                : current.Problem(options, DateTimeOffset.UtcNow);
            if (problem is null)
            {
                return current!;
            }

            using var previousCa = current?.FirstCa();
            var replacement = WebhookCertificateMaterial.Generate(options, previousCa);
            try
            {
                if (secret is null)
                {
                    await client.CoreV1.CreateNamespacedSecretAsync(NewSecret(name, ns, replacement), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                    logger.LogInformation("Created the webhook certificate Secret {Namespace}/{Name}", ns, name);
                }
                else
                {
                    // The read's resourceVersion makes this a compare-and-swap: a replica that rotated first wins.
                    secret.Data = replacement.ToSecretData();
                    await client.CoreV1.ReplaceNamespacedSecretAsync(secret, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                    logger.LogInformation("Replaced the webhook certificate in Secret {Namespace}/{Name}: {Problem}", ns, name, problem);
                }

                return replacement;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < Attempts)
            {
                logger.LogDebug("Secret {Namespace}/{Name} was written by another replica first; reading theirs", ns, name);
            }
        }
    }

    /// <summary>Loads the shared certificate before the HTTPS server starts listening.</summary>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (Active)
        {
            certificates.Use(await EnsureAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Re-reads (and when due, rotates) the Secret every <see cref="WebhookCertificateOptions.RefreshInterval"/>.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Active)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                certificates.Use(await EnsureAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The API server is unreachable, slow or refuses: keep serving the current certificate until the next
                // tick (a failure here must not stop the host, which serves the webhooks meanwhile).
                logger.LogWarning("Could not refresh the webhook certificate from Secret {Namespace}/{Name}: {Reason}",
                    options.SecretNamespace, options.SecretName, e.Message);
            }
        }
    }

    private async Task<V1Secret?> ReadAsync(string name, string ns, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static V1Secret NewSecret(string name, string ns, WebhookCertificateMaterial material) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["app.kubernetes.io/component"] = "webhook-certificate" },
        },
        Type = "kubernetes.io/tls",
        Data = material.ToSecretData(),
    };
}
