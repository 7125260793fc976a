using Prometheus;

namespace ImageOperator.Runtime.Metrics;

/// <summary>
/// Prometheus metrics of the controller runtime. One instance per registry; the host uses the default registry
/// (scraped at <c>/metrics</c>), tests pass their own so that runs do not share counters.
/// </summary>
public sealed class OperatorMetrics
{
    /// <summary>Creates the metrics in <paramref name="registry"/> (the default registry when null).</summary>
    public OperatorMetrics(CollectorRegistry? registry = null)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry ?? Prometheus.Metrics.DefaultRegistry);
        ReconcileTotal = factory.CreateCounter(
            "imageoperator_reconcile_total", "Reconciles (and finalizer runs) per controller.", "controller");
        ReconcileErrors = factory.CreateCounter(
            "imageoperator_reconcile_errors_total", "Reconciles that threw, per controller; each is retried with back-off.", "controller");
        ReconcileDuration = factory.CreateHistogram(
            "imageoperator_reconcile_duration_seconds",
            "Duration of reconciles per controller.",
            new HistogramConfiguration
            {
                LabelNames = ["controller"],
                Buckets = Histogram.ExponentialBuckets(0.005, 2, 16),
            });
        QueueDepth = factory.CreateGauge(
            "imageoperator_workqueue_depth", "Keys waiting in the work queue of each controller.", "controller");
        InformerRelists = factory.CreateCounter(
            "imageoperator_informer_relists_total", "Full lists by informers (start, expired watch, errors), per resource.", "resource");
        Leader = factory.CreateGauge(
            "imageoperator_leader", "1 while this replica holds the leader lease and runs the controllers, else 0.", "lease");
    }

    /// <summary>Reconciles per controller.</summary>
    public Counter ReconcileTotal { get; }

    /// <summary>Failed reconciles per controller.</summary>
    public Counter ReconcileErrors { get; }

    /// <summary>Reconcile duration per controller.</summary>
    public Histogram ReconcileDuration { get; }

    /// <summary>Work-queue depth per controller.</summary>
    public Gauge QueueDepth { get; }

    /// <summary>Informer relists per resource.</summary>
    public Counter InformerRelists { get; }

    /// <summary>Leader status per lease.</summary>
    public Gauge Leader { get; }
}
