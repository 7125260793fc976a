using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// A mutating admission webhook for <typeparamref name="T"/>: override <see cref="CreateAsync"/> and/or
/// <see cref="UpdateAsync"/>, change the entity and return <see cref="Modified"/>; the difference from the received
/// object is sent back as a JSON patch. Map it with <c>MapMutationWebhook&lt;TWebhook&gt;</c>.
/// </summary>
/// <typeparam name="T">The entity type.</typeparam>
public abstract class MutationWebhook<T> : AdmissionWebhook<T>, IMutationWebhook
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Mutates a new object.</summary>
    public virtual ValueTask<MutationResult<T>> CreateAsync(T entity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(NoChanges());

    /// <summary>Mutates a changed object.</summary>
    public virtual ValueTask<MutationResult<T>> UpdateAsync(T oldEntity, T newEntity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(NoChanges());

    /// <summary>Admits the object unchanged.</summary>
    protected static MutationResult<T> NoChanges(params IEnumerable<string> warnings) => MutationResult<T>.NoChanges(warnings);

    /// <summary>Admits the object as <paramref name="entity"/>.</summary>
    protected static MutationResult<T> Modified(T entity, params IEnumerable<string> warnings) =>
        MutationResult<T>.Modified(entity, warnings);

    /// <summary>Denies the request.</summary>
    protected static MutationResult<T> Fail(string message, int code = StatusCodes.Status422UnprocessableEntity) =>
        MutationResult<T>.Fail(message, code);

    /// <inheritdoc />
    private protected override async ValueTask<AdmissionResponse> ReviewAsync(
        AdmissionContext context, T? entity, T? oldEntity, JsonElement? rawEntity, CancellationToken cancellationToken)
    {
        if (context.Operation == AdmissionOperation.Delete)
        {
            return new AdmissionResponse { Allowed = true };
        }

        // The typed view before mutation: the diff is computed typed-to-typed, so serialisation details
        // (timestamp formats, quantities) never show up as changes.
        var before = JsonNode.Parse(KubernetesJson.Serialize(entity!));
        var result = context.Operation == AdmissionOperation.Create
            ? await CreateAsync(entity!, context, cancellationToken).ConfigureAwait(false)
            : await UpdateAsync(oldEntity!, entity!, context, cancellationToken).ConfigureAwait(false);

        var response = ToResponse(result.Verdict);
        if (!result.Verdict.Allowed || result.ModifiedEntity is null)
        {
            return response;
        }

        var after = JsonNode.Parse(KubernetesJson.Serialize(result.ModifiedEntity));
        var received = JsonNode.Parse(rawEntity!.Value.GetRawText());
        var patch = JsonPatchBuilder.Diff(received, before, after);
        if (patch is not null)
        {
            response.PatchType = "JSONPatch";
            response.Patch = patch;
        }

        return response;
    }
}
