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

    // The uid of a review comes within its first bytes; an oversized body is read no further.
    private const int HeadBytes = 64 * 1024;

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
        byte[] head;
        try
        {
            (body, head) = await ReadBodyAsync(http.Request, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            return await RejectAsync(http, e.StatusCode, "the request body could not be read").ConfigureAwait(false);
        }

        if (body is null)
        {
            // An answer the API server can relay names the problem; a bare 413 reaches the user as "failed calling
            // webhook". A mutating webhook lets the object through unchanged: the schema, checked next, then refuses
            // it naming the oversized field.
            return UidOf(head) is { } oversizedUid
                ? await AnswerAsync(http, webhook is IMutationWebhook
                    ? new AdmissionResponse { Uid = oversizedUid, Allowed = true }
                    : new AdmissionResponse
                    {
                        Uid = oversizedUid,
                        Allowed = false,
                        Status = new AdmissionStatus
                        {
                            Code = StatusCodes.Status413PayloadTooLarge,
                            Message = $"the {webhook.Kind} is larger than the {MaxRequestBytes / 1024} KiB this webhook reviews: "
                                + $"shorten its longest values (kubectl explain {webhook.Kind.ToLowerInvariant()}.spec gives every field's limit)",
                        },
                    }, cancellationToken).ConfigureAwait(false)
                : await RejectAsync(http, StatusCodes.Status413PayloadTooLarge, $"AdmissionReview larger than {MaxRequestBytes} bytes").ConfigureAwait(false);
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
        return await AnswerAsync(http, response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> AnswerAsync(HttpContext http, AdmissionResponse response, CancellationToken cancellationToken)
    {
        var answer = new AdmissionReview { ApiVersion = AdmissionReview.V1, Kind = AdmissionReview.ReviewKind, Response = response };
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, answer, AdmissionJsonContext.Default.AdmissionReview, cancellationToken).ConfigureAwait(false);
        return response.Allowed ? "allowed" : response.Status?.Code >= 500 ? "error" : "denied";
    }

    /// <summary>The <c>request.uid</c> of a review from the first bytes of its JSON (the API server writes it first), or null.</summary>
    private static string? UidOf(ReadOnlySpan<byte> head)
    {
        var reader = new Utf8JsonReader(head, isFinalBlock: false, state: default);
        try
        {
            var inRequest = false;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.CurrentDepth == 1)
                {
                    inRequest = reader.ValueTextEquals("request"u8);
                }
                else if (inRequest && reader.CurrentDepth == 2 && reader.ValueTextEquals("uid"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: answered with a plain 413.
        }

        return null;
    }

    /// <summary>
    /// Reads the body into an array; when it exceeds <see cref="MaxRequestBytes"/>, returns no body but its first
    /// <see cref="HeadBytes"/> bytes (enough to find the request's uid).
    /// </summary>
    private static async Task<(byte[]? Body, byte[] Head)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // Also bounds chunked bodies, which announce no length.
        var sizeLimit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = request.ContentLength > MaxRequestBytes ? null : MaxRequestBytes + 1L;
        }

        // One byte more than allowed tells "exactly at the limit" from "over it".
        var capacity = request.ContentLength > MaxRequestBytes ? HeadBytes : MaxRequestBytes + 1;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, capacity - 1) + 1);
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
                var read = room == 0 ? 0 : await request.Body.ReadAsync(buffer.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
                length += read;
                if (length > MaxRequestBytes || (request.ContentLength > MaxRequestBytes && (read == 0 || length == capacity)))
                {
                    return (null, buffer.AsSpan(0, Math.Min(length, HeadBytes)).ToArray());
                }

                if (read == 0)
                {
                    return (buffer.AsSpan(0, length).ToArray(), []);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, []);
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
