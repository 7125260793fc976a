using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// Writes the webhook server's CA bundle into our ValidatingWebhookConfigurations and MutatingWebhookConfigurations,
/// so that a generated certificate is trusted by the API server without cert-manager's CA injector.
/// </summary>
/// <param name="client">The Kubernetes client.</param>
/// <param name="logger">The logger.</param>
public sealed class WebhookConfigurationPatcher(IKubernetes client, ILogger<WebhookConfigurationPatcher> logger)
{
    private const int Attempts = 5;

    /// <summary>Sets <c>clientConfig.caBundle</c> of every webhook in the named configurations; a missing configuration is logged and skipped.</summary>
    public async Task PatchAsync(
        IEnumerable<string> validatingConfigurations,
        IEnumerable<string> mutatingConfigurations,
        byte[] caBundle,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caBundle);
        var api = client.AdmissionregistrationV1;
        foreach (var name in validatingConfigurations)
        {
            await PatchAsync(
                name,
                ct => api.ReadValidatingWebhookConfigurationAsync(name, cancellationToken: ct),
                configuration => configuration.Webhooks?.Select(webhook => webhook.ClientConfig),
                (configuration, ct) => api.ReplaceValidatingWebhookConfigurationAsync(configuration, name, cancellationToken: ct),
                caBundle,
                cancellationToken).ConfigureAwait(false);
        }

        foreach (var name in mutatingConfigurations)
        {
            await PatchAsync(
                name,
                ct => api.ReadMutatingWebhookConfigurationAsync(name, cancellationToken: ct),
                configuration => configuration.Webhooks?.Select(webhook => webhook.ClientConfig),
                (configuration, ct) => api.ReplaceMutatingWebhookConfigurationAsync(configuration, name, cancellationToken: ct),
                caBundle,
                cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PatchAsync<TConfiguration>(
        string name,
        Func<CancellationToken, Task<TConfiguration>> read,
        Func<TConfiguration, IEnumerable<Admissionregistrationv1WebhookClientConfig>?> clientConfigs,
        Func<TConfiguration, CancellationToken, Task<TConfiguration>> replace,
        byte[] caBundle,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var configuration = await read(cancellationToken).ConfigureAwait(false);
                var changed = false;
                foreach (var clientConfig in clientConfigs(configuration) ?? [])
                {
                    changed |= SetBundle(clientConfig, caBundle);
                }

                if (changed)
                {
                    await replace(configuration, cancellationToken).ConfigureAwait(false);
                }

                logger.LogInformation("Webhook configuration {Name} trusts the serving certificate's CA", name);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                logger.LogWarning("Webhook configuration {Name} does not exist; its caBundle is not set", name);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < Attempts)
            {
                // Changed by someone else between our read and write: read again.
            }
        }
    }

    private static bool SetBundle(Admissionregistrationv1WebhookClientConfig clientConfig, byte[] caBundle)
    {
        if (clientConfig.CaBundle is { } existing && existing.AsSpan().SequenceEqual(caBundle))
        {
            return false;
        }

        clientConfig.CaBundle = caBundle;
        return true;
    }
}
