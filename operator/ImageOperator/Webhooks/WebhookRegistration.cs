using System.Net;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Configuration;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Tenancy;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageOperator.Webhooks;

/// <summary>Where the admission webhooks join the host (called from Program.CreateApp).</summary>
public static class WebhookRegistration
{
    /// <summary>Path of the <see cref="CustomImage"/> validating webhook.</summary>
    public const string ValidateCustomImagePath = "/validate-imageoperator-io-v1alpha1-customimage";

    /// <summary>Path of the <see cref="ImageImport"/> validating webhook.</summary>
    public const string ValidateImageImportPath = "/validate-imageoperator-io-v1alpha1-imageimport";

    /// <summary>Path of the <see cref="ImageExport"/> validating webhook.</summary>
    public const string ValidateImageExportPath = "/validate-imageoperator-io-v1alpha1-imageexport";

    /// <summary>Path of the <see cref="ComputeShape"/> validating webhook.</summary>
    public const string ValidateComputeShapePath = "/validate-imageoperator-io-v1alpha1-computeshape";

    /// <summary>Path of the <see cref="ImageImport"/> mutating webhook.</summary>
    public const string MutateImageImportPath = "/mutate-imageoperator-io-v1alpha1-imageimport";

    /// <summary>Path of the <see cref="ImageExport"/> mutating webhook.</summary>
    public const string MutateImageExportPath = "/mutate-imageoperator-io-v1alpha1-imageexport";

    /// <summary>
    /// Registers the validators, mutators, cluster lookup and shape cache, the serving certificate (mounted, or
    /// generated and shared through a Secret), the CA-bundle injection and the HTTPS listener.
    /// </summary>
    public static WebApplicationBuilder AddImageOperatorWebhooks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(WebhookOptions.Section).Get<WebhookOptions>() ?? new WebhookOptions();
        builder.Services.AddSingleton(options);
        if (!options.Enabled)
        {
            return builder;
        }

        builder.Services.AddAdmissionWebhooks();
        builder.Services.TryAddSingleton(_ => builder.Configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions());
        builder.Services.TryAddSingleton<StoreAccessPolicy>();
        builder.Services.AddSingleton<ShapeCache>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ShapeCache>());
        builder.Services.AddSingleton<IAdmissionLookup, ClusterAdmissionLookup>();
        builder.Services.AddWebhookCertificate(certificate =>
        {
            certificate.CertificateDirectory = options.CertificateDirectory;
            certificate.SecretName = string.IsNullOrEmpty(options.CertificateSecretName) ? null : options.CertificateSecretName;
            certificate.SecretNamespace = options.ServiceNamespace;
            foreach (var name in WebhookCertificateOptions.ServiceDnsNames(options.ServiceName, options.ServiceNamespace))
            {
                certificate.DnsNames.Add(name);
            }
        });
        if (options.InjectCaBundle)
        {
            builder.Services.AddWebhookCaBundleInjection([options.ValidatingConfigurationName], [options.MutatingConfigurationName]);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var certificates = kestrel.ApplicationServices.GetRequiredService<WebhookCertificateProvider>();
            kestrel.Listen(IPAddress.Parse(options.BindAddress), options.Port, listen => listen.UseWebhookCertificate(certificates));
        });
        return builder;
    }

    /// <summary>Registers the validators and mutators (they need an <see cref="IAdmissionLookup"/>).</summary>
    public static IServiceCollection AddAdmissionWebhooks(this IServiceCollection services)
    {
        services.AddSingleton<CustomImageValidator>();
        services.AddSingleton<ImageImportValidator>();
        services.AddSingleton<ImageImportMutator>();
        services.AddSingleton<ImageExportValidator>();
        services.AddSingleton<ImageExportMutator>();
        services.AddSingleton<ComputeShapeValidator>();
        return services;
    }

    /// <summary>Maps the webhooks' endpoints.</summary>
    public static WebApplication MapImageOperatorWebhooks(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<WebhookOptions>().Enabled)
        {
            app.MapAdmissionWebhooks();
        }

        return app;
    }

    /// <summary>Maps every validating and mutating endpoint.</summary>
    public static IEndpointRouteBuilder MapAdmissionWebhooks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapValidationWebhook<CustomImageValidator>(ValidateCustomImagePath);
        endpoints.MapValidationWebhook<ImageImportValidator>(ValidateImageImportPath);
        endpoints.MapValidationWebhook<ImageExportValidator>(ValidateImageExportPath);
        endpoints.MapValidationWebhook<ComputeShapeValidator>(ValidateComputeShapePath);
        endpoints.MapMutationWebhook<ImageImportMutator>(MutateImageImportPath);
        endpoints.MapMutationWebhook<ImageExportMutator>(MutateImageExportPath);
        return endpoints;
    }
}
