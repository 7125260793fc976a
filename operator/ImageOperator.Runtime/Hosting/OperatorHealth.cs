using ImageOperator.Runtime.Controllers;

namespace ImageOperator.Runtime.Hosting;

/// <summary>
/// Liveness and readiness of the runtime. A standby replica (not leader) is ready: it serves webhooks and
/// metrics. The leader is ready once every controller's informer has loaded its first list.
/// </summary>
public sealed class OperatorHealth
{
    private volatile IReadOnlyList<IControllerRunner> _running = [];
    private volatile IReadOnlyList<IControllerRunner> _watching = [];
    private volatile bool _started;

    /// <summary>True while this replica leads (or runs without election).</summary>
    public bool IsLeading => _running.Count > 0;

    /// <summary>True when the runtime started and, when leading, all informers have synced.</summary>
    public bool IsReady => _started && _running.All(r => r.HasSynced);

    /// <summary>True once every controller's cache has loaded its first list; standby replicas keep theirs warm too.</summary>
    public bool CachesSynced => _started && _watching.All(r => r.HasSynced);

    internal void Started(IReadOnlyList<IControllerRunner> runners)
    {
        _watching = runners;
        _started = true;
    }

    internal void Leading(IReadOnlyList<IControllerRunner> runners) => _running = runners;

    internal void NotLeading() => _running = [];
}
