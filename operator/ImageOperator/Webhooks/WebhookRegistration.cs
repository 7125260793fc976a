namespace ImageOperator.Webhooks;

/// <summary>
/// Where the admission webhooks join the host (called from <see cref="Program.CreateApp"/>).
/// PLACEHOLDER written by the host work so that Program.cs builds: the webhooks work owns this file and replaces
/// both bodies (register validators, certificate, HTTPS listener; map the endpoints).
/// </summary>
public static class WebhookRegistration
{
    /// <summary>Registers the webhooks' services and their HTTPS listener.</summary>
    public static WebApplicationBuilder AddImageOperatorWebhooks(this WebApplicationBuilder builder) => builder;

    /// <summary>Maps the webhooks' endpoints.</summary>
    public static WebApplication MapImageOperatorWebhooks(this WebApplication app) => app;
}
