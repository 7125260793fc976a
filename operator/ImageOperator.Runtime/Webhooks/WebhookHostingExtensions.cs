using k8s;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>Registers the webhook server's certificate and CA-bundle injection.</summary>
public static class WebhookHostingExtensions
{
    /// <summary>
    /// Registers a <see cref="WebhookCertificateProvider"/> built from <paramref name="configure"/>, and with a
    /// <see cref="WebhookCertificateOptions.SecretName"/> the <see cref="SharedWebhookCertificate"/> that fills it
    /// from that Secret (needs an <see cref="IKubernetes"/>).
    /// </summary>
    public static IServiceCollection AddWebhookCertificate(this IServiceCollection services, Action<WebhookCertificateOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new WebhookCertificateOptions();
        configure(options);
        services.AddSingleton(provider =>
            WebhookCertificateProvider.Create(options, provider.GetRequiredService<ILoggerFactory>().CreateLogger<WebhookCertificateProvider>()));
        if (options.SharesThroughSecret)
        {
            if (string.IsNullOrEmpty(options.SecretNamespace))
            {
                throw new ArgumentException($"the webhook certificate Secret {options.SecretName} needs a namespace", nameof(configure));
            }

            services.AddHostedService(provider => new SharedWebhookCertificate(
                provider.GetRequiredService<IKubernetes>(),
                options,
                provider.GetRequiredService<WebhookCertificateProvider>(),
                provider.GetRequiredService<ILogger<SharedWebhookCertificate>>()));
        }

        return services;
    }

    /// <summary>
    /// Writes the certificate's CA bundle into the named webhook configurations when the host starts and whenever
    /// the certificate changes (needed for a generated certificate; harmless for a mounted one).
    /// </summary>
    public static IServiceCollection AddWebhookCaBundleInjection(
        this IServiceCollection services, IReadOnlyList<string> validatingConfigurations, IReadOnlyList<string> mutatingConfigurations)
    {
        services.AddSingleton<WebhookConfigurationPatcher>();
        return services.AddHostedService(provider => new CaBundleInjector(
            provider.GetRequiredService<WebhookConfigurationPatcher>(),
            provider.GetRequiredService<WebhookCertificateProvider>(),
            provider.GetRequiredService<ILogger<WebhookConfigurationPatcher>>(),
            validatingConfigurations,
            mutatingConfigurations));
    }

    /// <summary>Serves HTTPS with the provider's current certificate, picked per connection so that reloads take effect at once.</summary>
    public static ListenOptions UseWebhookCertificate(this ListenOptions listenOptions, WebhookCertificateProvider certificates) =>
        listenOptions.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => certificates.Current,
        });

    /// <summary>
    /// Patches at start (after every <see cref="IHostedLifecycleService.StartingAsync"/>, so a shared certificate is
    /// loaded) and again after each reload; the patch is idempotent, so replicas agreeing on one bundle write once.
    /// </summary>
    private sealed class CaBundleInjector(
        WebhookConfigurationPatcher patcher,
        WebhookCertificateProvider certificates,
        ILogger logger,
        IReadOnlyList<string> validating,
        IReadOnlyList<string> mutating) : IHostedService, IDisposable
    {
        private readonly CancellationTokenSource stopping = new();
        private readonly SemaphoreSlim patching = new(1, 1);

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await PatchAsync(cancellationToken).ConfigureAwait(false);
            certificates.Reloaded += OnReloaded;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            certificates.Reloaded -= OnReloaded;
            stopping.Cancel();
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            stopping.Dispose();
            patching.Dispose();
        }

        private async Task PatchAsync(CancellationToken cancellationToken)
        {
            // Reloads in quick succession patch one after the other, the last bundle last.
            await patching.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await patcher.PatchAsync(validating, mutating, certificates.CaBundle, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                patching.Release();
            }
        }

        private async void OnReloaded(object? sender, EventArgs e)
        {
            try
            {
                await PatchAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception failure) when (failure is not OutOfMemoryException)
            {
                // The next reload or restart retries; until then the API server keeps the previous bundle.
                logger.LogWarning("Could not write the reloaded CA bundle into the webhook configurations: {Reason}", failure.Message);
            }
        }
    }
}
