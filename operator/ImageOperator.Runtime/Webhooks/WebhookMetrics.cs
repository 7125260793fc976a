using Prometheus;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>Prometheus metrics of the admission endpoints.</summary>
internal static class WebhookMetrics
{
    /// <summary>Time spent answering one admission request, from the first byte read to the response written.</summary>
    public static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram(
        "imageoperator_webhook_request_duration_seconds",
        "Time to answer one admission request inside the webhook server.",
        new HistogramConfiguration
        {
            LabelNames = ["webhook", "outcome"],
            // Sub-millisecond resolution: the budget per request is a few milliseconds.
            Buckets = [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
        });
}
