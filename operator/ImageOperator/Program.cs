// Composition root of the operator (assembly image-operator-manager).
//
// WEBHOOKS: the admission webhooks plug in through exactly two calls in CreateApp below,
//   builder.AddImageOperatorWebhooks()   registers their services and the HTTPS listener, and
//   app.MapImageOperatorWebhooks()       maps their endpoints.
// Both are implemented in Webhooks/WebhookRegistration.cs, owned by the webhooks work; everything else in this
// file belongs to the host and controllers.
using ImageOperator.Configuration;
using ImageOperator.Runtime.Hosting;
using ImageOperator.Webhooks;
using Microsoft.Extensions.Options;

namespace ImageOperator;

/// <summary>
/// Entry point: <c>image-operator-manager [--kubeconfig PATH] [--config FILE.yaml] [--ImageOperator:Key=value ...]</c>.
/// Outside a cluster the kubeconfig comes from <c>--kubeconfig</c>, <c>$KUBECONFIG</c> or <c>~/.kube/config</c>;
/// inside one, from the pod's service account.
/// </summary>
public static class Program
{
    /// <summary>Runs the operator until SIGTERM or Ctrl+C, then drains in-flight work.</summary>
    /// <returns>0 after a clean stop, 2 when the configuration is invalid.</returns>
    public static async Task<int> Main(string[] args)
    {
        WebApplication app;
        try
        {
            app = CreateApp(args);
        }
        catch (Exception e) when (e is InvalidDataException or OptionsValidationException or FileNotFoundException)
        {
            await Console.Error.WriteLineAsync($"image-operator-manager: invalid configuration: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        await using (app.ConfigureAwait(false))
        {
            await app.RunAsync().ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>
    /// Builds the operator host: configuration, Kubernetes client, object stores, controllers, webhooks and the
    /// metrics and health endpoints. Tests call it to run the operator in-process.
    /// </summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Last-moment changes, applied before the host is built (tests replace services here).</param>
    public static WebApplication CreateApp(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddOperatorConfiguration(args);
        builder.AddImageOperator();
        builder.AddImageOperatorWebhooks();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapOperatorEndpoints();
        app.MapImageOperatorWebhooks();
        return app;
    }
}
