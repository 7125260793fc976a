namespace ImageOperator.Runtime.Controllers;

/// <summary>What a reconcile asks of the runtime: nothing more, or another reconcile after a delay.</summary>
public readonly record struct ReconcileResult
{
    private ReconcileResult(TimeSpan? requeueDelay) => RequeueDelay = requeueDelay;

    /// <summary>The entity matches its desired state; reconcile again only when it changes (or at resync).</summary>
    public static ReconcileResult Done => default;

    /// <summary>Delay before the next reconcile, or null when none is asked for.</summary>
    public TimeSpan? RequeueDelay { get; }

    /// <summary>Reconcile the entity again after <paramref name="delay"/> (e.g. to poll long-running work).</summary>
    public static ReconcileResult RequeueAfter(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new ReconcileResult(delay);
    }
}

/// <summary>Outcome of a finalizer: the cleanup is complete, or deletion must wait and the finalizer run again.</summary>
public readonly record struct FinalizeResult
{
    private FinalizeResult(TimeSpan? retryDelay) => RetryDelay = retryDelay;

    /// <summary>Cleanup is complete: the runtime removes the finalizer and the API server may delete the entity.</summary>
    public static FinalizeResult Complete => default;

    /// <summary>Delay before the finalizer runs again, or null when it is complete.</summary>
    public TimeSpan? RetryDelay { get; }

    /// <summary>True when the finalizer may be removed.</summary>
    public bool IsComplete => RetryDelay is null;

    /// <summary>Keep blocking deletion (e.g. while exports still run) and run the finalizer again after <paramref name="delay"/>.</summary>
    public static FinalizeResult RetryAfter(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new FinalizeResult(delay);
    }
}
