using ImageOperator.Runtime.Controllers;
using ImageOperator.Runtime.LeaderElection;
using ImageOperator.Runtime.Metrics;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Hosting;

/// <summary>
/// Runs the registered controllers inside the host. Every replica keeps its informers' caches current for the host's
/// lifetime; reconciling runs only while this replica holds the lease (a fresh queue each term, filled from the warm
/// cache, drained when the term ends), or for the host's lifetime without leader election.
/// </summary>
internal sealed class OperatorHostedService : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly OperatorOptions _options;
    private readonly OperatorHealth _health;
    private readonly ILogger<OperatorHostedService> _logger;

    public OperatorHostedService(IServiceProvider services, OperatorOptions options, OperatorHealth health, ILogger<OperatorHostedService> logger)
    {
        _services = services;
        _options = options;
        _health = health;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var finalizers = _services.GetServices<FinalizerRegistration>().ToList();
        var controllers = _services.GetServices<ControllerRegistration>().ToList();
        var orphan = finalizers.FirstOrDefault(f => controllers.All(c => c.EntityType != f.EntityType));
        if (orphan is not null)
        {
            throw new InvalidOperationException($"Finalizer {orphan.Identifier} is registered for {orphan.EntityType.Name}, which has no controller.");
        }

        var runners = controllers
            .Select(c => c.CreateRunner(_services, [.. finalizers.Where(f => f.EntityType == c.EntityType)]))
            .ToList();
        var watching = runners.Select(r => r.WatchAsync(stoppingToken)).ToList();
        _health.Started(runners);
        try
        {
            if (_options.LeaderElection is null)
            {
                await RunControllersAsync(runners, stoppingToken).ConfigureAwait(false);
                return;
            }

            var elector = new LeaderElector(
                _services.GetRequiredService<IKubernetes>(), _options.LeaderElection, _logger, _services.GetRequiredService<OperatorMetrics>());
            await elector.RunAsync(ct => RunControllersAsync(runners, ct), _health.NotLeading, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await Task.WhenAll(watching).ConfigureAwait(false);
        }
    }

    private async Task RunControllersAsync(IReadOnlyList<IControllerRunner> runners, CancellationToken cancellationToken)
    {
        _health.Leading(runners);
        _logger.LogInformation("Starting {Count} controllers: {Names}.", runners.Count, string.Join(", ", runners.Select(r => r.Name)));
        try
        {
            await Task.WhenAll(runners.Select(r => r.RunAsync(cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            _health.NotLeading();
        }
    }
}
