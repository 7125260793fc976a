using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Events;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Controllers;

/// <summary>
/// Records how an import or export ended badly, the same way for both: a permanent failure becomes phase Failed
/// with its reason on the Failed, in-progress and Ready conditions, a Warning event and a transfer metric; a
/// transient error that will be retried becomes a Retrying reason on the in-progress condition and an event.
/// Every message is sanitised first: no URL signature or key reaches status, events or logs.
/// </summary>
/// <typeparam name="TEntity">ImageImport or ImageExport.</typeparam>
/// <typeparam name="TStatus">Its status.</typeparam>
internal sealed class TransferOutcomes<TEntity, TStatus>(
    IKubernetes kubernetes,
    EventRecorder events,
    ImageMetrics metrics,
    TimeProvider time,
    ILogger logger,
    string direction,
    string progressCondition)
    where TEntity : class, IKubernetesObject<V1ObjectMeta>, IStatus<TStatus>
    where TStatus : TransferStatus
{
    private readonly EntityClient<TEntity> _client = new(kubernetes);

    /// <summary>Marks <paramref name="entity"/> failed for good (<paramref name="setFailedPhase"/> sets its phase).</summary>
    /// <returns>The sanitised message, for the caller's own records.</returns>
    public async Task<string> FailAsync(TEntity entity, TransferFailure failure, Action<TStatus> setFailedPhase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var message = EventMessage.Sanitize(failure.Message);
        logger.LogWarning("The {Direction} failed ({Reason}): {Message}", direction, failure.Reason, message);
        await _client.UpdateStatusAsync(entity, e =>
        {
            var status = e.Status;
            setFailedPhase(status);
            status.CompletionTime = time.GetUtcNow().UtcDateTime;
            status.ObservedGeneration = e.Generation();
            status.Set(ConditionTypes.Failed, ConditionStatus.True, failure.Reason, message, e.Generation(), time.GetUtcNow());
            status.Set(progressCondition, ConditionStatus.False, failure.Reason, message, e.Generation(), time.GetUtcNow());
            status.Set(ConditionTypes.Ready, ConditionStatus.False, failure.Reason, message, e.Generation(), time.GetUtcNow());
        }, cancellationToken).ConfigureAwait(false);
        await events.WarningAsync(entity, failure.Reason, message, cancellationToken).ConfigureAwait(false);
        metrics.Transfers.WithLabels(direction, failure.Reason).Inc();
        return message;
    }

    /// <summary>Notes on <paramref name="entity"/> that the work is retried after <paramref name="error"/>; a failed status write is only logged.</summary>
    public async Task NoteRetryAsync(TEntity entity, Exception error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = EventMessage.Sanitize($"retrying after a transient error: {error.Message}");
        try
        {
            await _client.UpdateStatusAsync(entity, e =>
                e.Status.Set(progressCondition, ConditionStatus.True, ControllerReasons.Retrying, message, e.Generation(), time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record the retry on the {Direction} status.", direction);
        }

        await events.WarningAsync(entity, ControllerReasons.Retrying, message, cancellationToken).ConfigureAwait(false);
    }
}
