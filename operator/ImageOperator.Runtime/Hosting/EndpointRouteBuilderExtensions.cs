using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace ImageOperator.Runtime.Hosting;

/// <summary>HTTP endpoints of the runtime for the operator host.</summary>
public static class EndpointRouteBuilderExtensions
{
    /// <summary>Maps <c>/metrics</c> (Prometheus), <c>/healthz</c> (liveness) and <c>/readyz</c> (readiness, see <see cref="OperatorHealth"/>).</summary>
    public static IEndpointRouteBuilder MapOperatorEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapMetrics("/metrics");
        endpoints.MapGet("/healthz", () => Results.Text("ok"));
        endpoints.MapGet("/readyz", (OperatorHealth health) =>
            health.IsReady ? Results.Text("ok") : Results.Text("informers not synced", statusCode: StatusCodes.Status503ServiceUnavailable));
        return endpoints;
    }
}
