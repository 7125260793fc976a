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
    /// <summary>Registers a <see cref="WebhookCertificateProvider"/> built from <paramref name="configure"/>.</summary>
    public static IServiceCollection AddWebhookCertificate(this IServiceCollection services, Action<WebhookCertificateOptions> configure)
    {
        var options = new WebhookCertificateOptions();
        configure(options);
        return services.AddSingleton(provider =>
            WebhookCertificateProvider.Create(options, provider.GetRequiredService<ILoggerFactory>().CreateLogger<WebhookCertificateProvider>()));
    }

    /// <summary>
    /// Writes the certificate's CA bundle into the named webhook configurations when the host starts (needed for a
    /// generated certificate; harmless for a mounted one).
    /// </summary>
    public static IServiceCollection AddWebhookCaBundleInjection(
        this IServiceCollection services, IReadOnlyList<string> validatingConfigurations, IReadOnlyList<string> mutatingConfigurations)
    {
        services.AddSingleton<WebhookConfigurationPatcher>();
        return services.AddHostedService(provider => new CaBundleInjector(
            provider.GetRequiredService<WebhookConfigurationPatcher>(),
            provider.GetRequiredService<WebhookCertificateProvider>(),
            validatingConfigurations,
            mutatingConfigurations));
    }

    /// <summary>Serves HTTPS with the provider's current certificate, picked per connection so that reloads take effect at once.</summary>
    public static ListenOptions UseWebhookCertificate(this ListenOptions listenOptions, WebhookCertificateProvider certificates) =>
        listenOptions.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => certificates.Current,
        });

    private sealed class CaBundleInjector(
        WebhookConfigurationPatcher patcher,
        WebhookCertificateProvider certificates,
        IReadOnlyList<string> validating,
        IReadOnlyList<string> mutating) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            patcher.PatchAsync(validating, mutating, certificates.CaBundle, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
