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
/// transient error is retried within a budget, each retry a Retrying reason on the in-progress condition and an
/// event, and a spent budget a failure of its own.
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
    Configuration.RetryOptions retryDefaults,
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

    /// <summary>
    /// After the transient error <paramref name="error"/>: while the retry budget lasts, notes on
    /// <paramref name="entity"/> that the work is retried (a failed status write is only logged) and returns null;
    /// once it is spent, returns the final failure (StorageError for the object store, else RetryLimitExceeded).
    /// </summary>
    public async Task<TransferFailure?> NoteRetryAsync(TEntity entity, Exception error, RetryPolicy? policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(error);
        var retries = entity.Status.Retries + 1;
        var maxRetries = policy?.MaxRetries ?? retryDefaults.MaxRetries;
        var maxDuration = policy?.MaxDurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : retryDefaults.MaxDuration;
        var started = entity.Status.StartTime ?? entity.Metadata.CreationTimestamp ?? time.GetUtcNow().UtcDateTime;
        var elapsed = time.GetUtcNow().UtcDateTime - started;
        if (retries > maxRetries || elapsed >= maxDuration)
        {
            var reason = error is Storage.ObjectStorageException ? ConditionReasons.StorageError : ControllerReasons.RetryLimitExceeded;
            return new TransferFailure(reason,
                $"gave up after {retries - 1} retries in {elapsed.TotalSeconds:0} s (budget: {maxRetries} retries, {maxDuration.TotalSeconds:0} s); last error: {error.Message}", error);
        }

        var message = EventMessage.Sanitize($"retry {retries} of {maxRetries} after a transient error: {error.Message}");
        try
        {
            await _client.UpdateStatusAsync(entity, e =>
            {
                e.Status.Retries = retries;
                e.Status.Set(progressCondition, ConditionStatus.True, ControllerReasons.Retrying, message, e.Generation(), time.GetUtcNow());
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record the retry on the {Direction} status.", direction);
        }

        await events.WarningAsync(entity, ControllerReasons.Retrying, message, cancellationToken).ConfigureAwait(false);
        return null;
    }
}
