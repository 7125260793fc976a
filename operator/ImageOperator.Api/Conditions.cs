using k8s.Models;

namespace ImageOperator.Api;

/// <summary>Values of a condition's status.</summary>
public static class ConditionStatus
{
    /// <summary>The condition holds.</summary>
    public const string True = "True";

    /// <summary>The condition does not hold.</summary>
    public const string False = "False";

    /// <summary>Not known yet.</summary>
    public const string Unknown = "Unknown";
}

/// <summary>
/// Reads and updates a status's conditions with Kubernetes semantics: one condition per type, and
/// <c>lastTransitionTime</c> changes only when the condition's status changes.
/// </summary>
public static class Conditions
{
    /// <summary>The condition of the given type, or null.</summary>
    public static V1Condition? Find(this IConditionedStatus status, string type)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Conditions.FirstOrDefault(c => c.Type == type);
    }

    /// <summary>Whether the condition of the given type exists and its status is True.</summary>
    public static bool IsTrue(this IConditionedStatus status, string type) =>
        status.Find(type)?.Status == ConditionStatus.True;

    /// <summary>
    /// Adds or updates the condition of <paramref name="type"/>. Keeps its <c>lastTransitionTime</c> unless the
    /// status changes; reason, message and observed generation are always updated.
    /// </summary>
    /// <param name="status">Status to update.</param>
    /// <param name="type">Condition type, for example <c>Ready</c>.</param>
    /// <param name="conditionStatus">True, False or Unknown (<see cref="ConditionStatus"/>).</param>
    /// <param name="reason">CamelCase reason, required by the API server.</param>
    /// <param name="message">Human-readable detail; must hold no secret.</param>
    /// <param name="observedGeneration">Generation the condition was computed for.</param>
    /// <param name="now">Current time; whole seconds are kept, as the API server stores them.</param>
    /// <returns>Whether anything changed, so callers can skip a status write.</returns>
    public static bool Set(
        this IConditionedStatus status,
        string type,
        string conditionStatus,
        string reason,
        string message,
        long? observedGeneration,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (conditionStatus is not (ConditionStatus.True or ConditionStatus.False or ConditionStatus.Unknown))
        {
            throw new ArgumentOutOfRangeException(nameof(conditionStatus), conditionStatus, "Must be True, False or Unknown.");
        }

        message ??= "";
        var existing = status.Find(type);
        if (existing is null)
        {
            status.Conditions.Add(new V1Condition
            {
                Type = type,
                Status = conditionStatus,
                Reason = reason,
                Message = message,
                ObservedGeneration = observedGeneration,
                LastTransitionTime = TruncateToSeconds(now),
            });
            return true;
        }

        var changed = false;
        if (existing.Status != conditionStatus)
        {
            existing.Status = conditionStatus;
            existing.LastTransitionTime = TruncateToSeconds(now);
            changed = true;
        }

        if (existing.Reason != reason || existing.Message != message || existing.ObservedGeneration != observedGeneration)
        {
            existing.Reason = reason;
            existing.Message = message;
            existing.ObservedGeneration = observedGeneration;
            changed = true;
        }

        return changed;
    }

    /// <summary>Removes the condition of the given type.</summary>
    /// <returns>Whether a condition was removed.</returns>
    public static bool Remove(this IConditionedStatus status, string type)
    {
        var existing = status.Find(type);
        return existing is not null && status.Conditions.Remove(existing);
    }

    private static DateTime TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
