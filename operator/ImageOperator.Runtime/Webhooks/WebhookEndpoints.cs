using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>Maps admission webhooks onto ASP.NET Core endpoints.</summary>
public static class WebhookEndpoints
{
    /// <summary>The largest AdmissionReview accepted. The API server caps objects at ~1.5 MiB in etcd, ours are a few KiB.</summary>
    public const int MaxRequestBytes = 1024 * 1024;

    /// <summary>Maps the validating webhook <typeparamref name="TWebhook"/> (resolved from DI) at <paramref name="path"/>.</summary>
    public static IEndpointConventionBuilder MapValidationWebhook<TWebhook>(this IEndpointRouteBuilder endpoints, string path)
        where TWebhook : class, IValidationWebhook =>
        Map<TWebhook>(endpoints, path);

    /// <summary>Maps the mutating webhook <typeparamref name="TWebhook"/> (resolved from DI) at <paramref name="path"/>.</summary>
    public static IEndpointConventionBuilder MapMutationWebhook<TWebhook>(this IEndpointRouteBuilder endpoints, string path)
        where TWebhook : class, IMutationWebhook =>
        Map<TWebhook>(endpoints, path);

    private static IEndpointConventionBuilder Map<TWebhook>(IEndpointRouteBuilder endpoints, string path)
        where TWebhook : class, IAdmissionWebhook
    {
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TWebhook));
        return endpoints.MapPost(path, context =>
            HandleAsync(context, context.RequestServices.GetRequiredService<TWebhook>(), path, logger));
    }

    private static async Task HandleAsync(HttpContext http, IAdmissionWebhook webhook, string path, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        http.Response.OnStarting(() =>
        {
            // Lets a client see the server-side share of its latency without scraping metrics.
            http.Response.Headers["Server-Timing"] = ServerTiming(Stopwatch.GetElapsedTime(started));
            return Task.CompletedTask;
        });
        var outcome = await AnswerAsync(http, webhook, logger).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        WebhookMetrics.Duration.WithLabels(path, outcome).Observe(elapsed.TotalSeconds);
    }

    private static async Task<string> AnswerAsync(HttpContext http, IAdmissionWebhook webhook, ILogger logger)
    {
        var cancellationToken = http.RequestAborted;
        byte[]? body;
        try
        {
            body = await ReadBodyAsync(http.Request, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            return await RejectAsync(http, e.StatusCode, "the request body could not be read").ConfigureAwait(false);
        }

        if (body is null)
        {
            return await RejectAsync(http, StatusCodes.Status413PayloadTooLarge, $"AdmissionReview larger than {MaxRequestBytes} bytes").ConfigureAwait(false);
        }

        AdmissionReview? review;
        try
        {
            review = JsonSerializer.Deserialize(body, AdmissionJsonContext.Default.AdmissionReview);
        }
        catch (JsonException)
        {
            return await RejectAsync(http, StatusCodes.Status400BadRequest, "the body is not an AdmissionReview JSON document").ConfigureAwait(false);
        }

        var problem = review switch
        {
            null => "the body is not an AdmissionReview JSON document",
            { ApiVersion: not AdmissionReview.V1 } or { Kind: not AdmissionReview.ReviewKind } =>
                $"expected kind {AdmissionReview.ReviewKind} of {AdmissionReview.V1}",
            { Request: null } => "the AdmissionReview has no request",
            { Request.Uid: null or "" } => "the AdmissionReview request has no uid",
            { Request.Kind: var kind } when kind?.Group != webhook.Group || kind.Kind != webhook.Kind =>
                $"this endpoint admits {webhook.Kind}.{webhook.Group}, not {kind?.Kind}.{kind?.Group}",
            _ => null,
        };
        if (problem is not null)
        {
            return await RejectAsync(http, StatusCodes.Status400BadRequest, problem).ConfigureAwait(false);
        }

        var request = review!.Request!;
        AdmissionResponse response;
        try
        {
            response = await webhook.ReviewAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return "aborted";
        }
        catch (Exception e)
        {
            // The exception may carry internals (URLs, object content): it goes to the log only.
            logger.LogError(e, "Admission webhook {Webhook} failed on {Operation} {Namespace}/{Name} (uid {Uid})",
                webhook.GetType().Name, request.Operation, request.Namespace, request.Name, request.Uid);
            response = new AdmissionResponse
            {
                Allowed = false,
                Status = new AdmissionStatus
                {
                    Code = StatusCodes.Status500InternalServerError,
                    Message = $"internal error in the {webhook.Kind} admission webhook (request uid {request.Uid}); see the operator's log",
                },
            };
        }

        response.Uid = request.Uid;
        var answer = new AdmissionReview { ApiVersion = AdmissionReview.V1, Kind = AdmissionReview.ReviewKind, Response = response };
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, answer, AdmissionJsonContext.Default.AdmissionReview, cancellationToken).ConfigureAwait(false);
        return response.Allowed ? "allowed" : response.Status?.Code >= 500 ? "error" : "denied";
    }

    /// <summary>Reads the body into an array, or returns null when it exceeds <see cref="MaxRequestBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxRequestBytes)
        {
            return null;
        }

        // Also bounds chunked bodies, which announce no length.
        var sizeLimit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = MaxRequestBytes + 1L;
        }

        // One byte more than allowed tells "exactly at the limit" from "over it".
        const int capacity = MaxRequestBytes + 1;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, MaxRequestBytes) + 1);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, capacity));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var room = Math.Min(buffer.Length, capacity) - length;
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
                length += read;
                if (length > MaxRequestBytes)
                {
                    return null;
                }

                if (read == 0)
                {
                    return buffer.AsSpan(0, length).ToArray();
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<string> RejectAsync(HttpContext http, int statusCode, string message)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(message + "\n", http.RequestAborted).ConfigureAwait(false);
        return "rejected";
    }

    /// <summary>Formats a duration for a <c>Server-Timing</c> header (milliseconds).</summary>
    private static string ServerTiming(TimeSpan elapsed) =>
        "admission;dur=" + elapsed.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture);
}
