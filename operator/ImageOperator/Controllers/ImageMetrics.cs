using System.Collections.Concurrent;
using ImageOperator.Api.V1Alpha1;
using Prometheus;

namespace ImageOperator.Controllers;

/// <summary>
/// Prometheus metrics of the image controllers, beside the runtime's reconcile metrics: bytes moved, conversion
/// throughput and images per lifecycle state.
/// </summary>
public sealed class ImageMetrics
{
    private readonly ConcurrentDictionary<string, ImageLifecycleState> _states = new();

    /// <summary>Creates the metrics in <paramref name="registry"/> (the default registry, scraped at <c>/metrics</c>, when null).</summary>
    public ImageMetrics(CollectorRegistry? registry = null)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry ?? Prometheus.Metrics.DefaultRegistry);
        BytesImported = factory.CreateCounter(
            "imageoperator_import_bytes_total", "Bytes written to the image library by successful imports.");
        BytesExported = factory.CreateCounter(
            "imageoperator_export_bytes_total", "Bytes written to destinations by successful exports.");
        Transfers = factory.CreateCounter(
            "imageoperator_transfers_total", "Finished imports and exports by direction and outcome (Succeeded or a failure reason).", "direction", "outcome");
        Throughput = factory.CreateHistogram(
            "imageoperator_conversion_throughput_bytes_per_second",
            "Virtual-disk bytes converted per second, per finished conversion.",
            new HistogramConfiguration
            {
                LabelNames = ["direction"],
                Buckets = Histogram.ExponentialBuckets(1 << 20, 2, 14),
            });
        ImagesByState = factory.CreateGauge(
            "imageoperator_images", "CustomImages by lifecycle state, as last reconciled by this replica.", "state");
    }

    /// <summary>Bytes stored by imports.</summary>
    public Counter BytesImported { get; }

    /// <summary>Bytes stored by exports.</summary>
    public Counter BytesExported { get; }

    /// <summary>Finished transfers by direction (<c>import</c>, <c>export</c>) and outcome.</summary>
    public Counter Transfers { get; }

    /// <summary>Conversion throughput by direction.</summary>
    public Histogram Throughput { get; }

    /// <summary>Images per lifecycle state.</summary>
    public Gauge ImagesByState { get; }

    /// <summary>Records a finished conversion of <paramref name="virtualBytes"/> in <paramref name="elapsed"/>.</summary>
    public void ObserveConversion(string direction, long virtualBytes, TimeSpan elapsed)
    {
        if (elapsed > TimeSpan.Zero)
        {
            Throughput.WithLabels(direction).Observe(virtualBytes / elapsed.TotalSeconds);
        }
    }

    /// <summary>Records the state of one image (null once it is gone) and republishes the counts per state.</summary>
    public void RecordImageState(string key, ImageLifecycleState? state)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (state is { } known)
        {
            _states[key] = known;
        }
        else
        {
            _states.TryRemove(key, out _);
        }

        var counts = _states.Values.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        foreach (var each in Enum.GetValues<ImageLifecycleState>())
        {
            ImagesByState.WithLabels(each.ToString()).Set(counts.GetValueOrDefault(each));
        }
    }
}
