using ImageOperator.Runtime.Informers;

namespace ImageOperator.Runtime.Controllers;

/// <summary>Settings of one controller (one entity type).</summary>
public sealed record ControllerOptions
{
    /// <summary>Reconciles that may run at once (for different entities).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Informer settings: namespace, resync period, watch timeout.</summary>
    public InformerOptions Informer { get; init; } = new();

    /// <summary>Delay before the first retry of a failed reconcile; doubles per consecutive failure.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Upper bound of the retry delay of failed reconciles.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Skip watch updates that change nothing but the status (same generation, labels, annotations, finalizers and
    /// deletion mark), like controller-runtime's GenerationChangedPredicate. For entities whose status only their own
    /// controller writes: its status writes then neither re-run a finished reconcile nor cut a failed one's back-off
    /// short. Resyncs still replay every entity.
    /// </summary>
    public bool IgnoreStatusOnlyChanges { get; init; }

    /// <summary>
    /// On shutdown (or loss of leadership), how long in-flight reconciles may run to completion before their
    /// cancellation token fires.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
