using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// A validating admission webhook for <typeparamref name="T"/>: override the operations to check and return
/// <see cref="Success"/> or <see cref="Fail(string, int)"/>. Map it with <c>MapValidationWebhook&lt;TWebhook&gt;</c>.
/// </summary>
/// <typeparam name="T">The entity type.</typeparam>
public abstract class ValidationWebhook<T> : AdmissionWebhook<T>, IValidationWebhook
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Validates a new object.</summary>
    public virtual ValueTask<ValidationResult> CreateAsync(T entity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Success());

    /// <summary>Validates a change.</summary>
    public virtual ValueTask<ValidationResult> UpdateAsync(T oldEntity, T newEntity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Success());

    /// <summary>Validates a deletion.</summary>
    public virtual ValueTask<ValidationResult> DeleteAsync(T entity, AdmissionContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Success());

    /// <summary>Admits the request, with optional warnings.</summary>
    protected static ValidationResult Success(params IEnumerable<string> warnings) => ValidationResult.Success(warnings);

    /// <summary>Denies the request with a message for the user.</summary>
    protected static ValidationResult Fail(string message, int code = StatusCodes.Status422UnprocessableEntity) =>
        ValidationResult.Fail(message, code);

    /// <inheritdoc />
    private protected override async ValueTask<AdmissionResponse> ReviewAsync(
        AdmissionContext context, T? entity, T? oldEntity, JsonElement? rawEntity, CancellationToken cancellationToken)
    {
        var verdict = context.Operation switch
        {
            AdmissionOperation.Create => await CreateAsync(entity!, context, cancellationToken).ConfigureAwait(false),
            AdmissionOperation.Update => await UpdateAsync(oldEntity!, entity!, context, cancellationToken).ConfigureAwait(false),
            _ => await DeleteAsync(oldEntity!, context, cancellationToken).ConfigureAwait(false),
        };
        return ToResponse(verdict);
    }
}
