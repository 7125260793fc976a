using System.Reflection;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>An endpoint's view of a webhook: which kind it admits and how it answers a request.</summary>
public interface IAdmissionWebhook
{
    /// <summary>The API group of the admitted kind.</summary>
    string Group { get; }

    /// <summary>The admitted kind, e.g. <c>CustomImage</c>.</summary>
    string Kind { get; }

    /// <summary>Reviews a well-formed request for <see cref="Kind"/>; the response's uid is filled in by the caller.</summary>
    ValueTask<AdmissionResponse> ReviewAsync(AdmissionRequest request, CancellationToken cancellationToken);
}

/// <summary>Marks validating webhooks (mapped with <c>MapValidationWebhook</c>).</summary>
public interface IValidationWebhook : IAdmissionWebhook;

/// <summary>Marks mutating webhooks (mapped with <c>MapMutationWebhook</c>).</summary>
public interface IMutationWebhook : IAdmissionWebhook;

/// <summary>
/// What validation and mutation webhooks share: the admitted kind (from <see cref="KubernetesEntityAttribute"/>) and
/// the reading of the request's objects into <typeparamref name="T"/>.
/// </summary>
/// <typeparam name="T">The entity type.</typeparam>
public abstract class AdmissionWebhook<T> : IAdmissionWebhook
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly KubernetesEntityAttribute Entity =
        typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
        ?? throw new InvalidOperationException($"{typeof(T).Name} has no [KubernetesEntity] attribute.");

    /// <inheritdoc />
    public string Group => Entity.Group;

    /// <inheritdoc />
    public string Kind => Entity.Kind;

    /// <inheritdoc />
    public async ValueTask<AdmissionResponse> ReviewAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (!TryParseOperation(request.Operation, out var operation))
        {
            // CONNECT and unknown operations carry no object of ours; nothing to decide.
            return new AdmissionResponse { Allowed = true };
        }

        T? entity, oldEntity;
        try
        {
            entity = ReadEntity(request.Object);
            oldEntity = ReadEntity(request.OldObject);
        }
        catch (JsonException e)
        {
            return Denied(new AdmissionStatus
            {
                Code = StatusCodes.Status400BadRequest,
                Message = $"the object is not a valid {Kind}: wrong value type at {e.Path ?? "$"}",
            });
        }

        var context = new AdmissionContext(
            operation,
            request.Namespace ?? string.Empty,
            request.Name ?? string.Empty,
            request.UserInfo?.Username ?? string.Empty,
            request.DryRun ?? false);

        var missing = operation switch
        {
            AdmissionOperation.Create when entity is null => "object",
            AdmissionOperation.Update when entity is null || oldEntity is null => "object and oldObject",
            AdmissionOperation.Delete when oldEntity is null => "oldObject",
            _ => null,
        };
        if (missing is not null)
        {
            return Denied(new AdmissionStatus
            {
                Code = StatusCodes.Status400BadRequest,
                Message = $"the {request.Operation} request carries no {missing}",
            });
        }

        return await ReviewAsync(context, entity, oldEntity, request.Object, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reviews a request whose objects were read; for create/update <paramref name="entity"/> is set,
    /// for update/delete <paramref name="oldEntity"/> is set.</summary>
    private protected abstract ValueTask<AdmissionResponse> ReviewAsync(
        AdmissionContext context,
        T? entity,
        T? oldEntity,
        JsonElement? rawEntity,
        CancellationToken cancellationToken);

    /// <summary>Turns a verdict into a response.</summary>
    private protected static AdmissionResponse ToResponse(ValidationResult verdict) => new()
    {
        Allowed = verdict.Allowed,
        Status = verdict.Allowed ? null : new AdmissionStatus { Code = verdict.Code, Message = verdict.Message },
        Warnings = verdict.Warnings.Count == 0 ? null : verdict.Warnings,
    };

    private static AdmissionResponse Denied(AdmissionStatus status) => new() { Allowed = false, Status = status };

    private static T? ReadEntity(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object } value ? KubernetesJson.Deserialize<T>(value) : null;

    private static bool TryParseOperation(string? value, out AdmissionOperation operation)
    {
        (var known, operation) = value switch
        {
            "CREATE" => (true, AdmissionOperation.Create),
            "UPDATE" => (true, AdmissionOperation.Update),
            "DELETE" => (true, AdmissionOperation.Delete),
            _ => (false, default),
        };
        return known;
    }
}
