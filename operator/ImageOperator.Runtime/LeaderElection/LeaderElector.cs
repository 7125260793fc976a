using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Metrics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.LeaderElection;

/// <summary>
/// Leader election on a <c>coordination.k8s.io/v1</c> Lease. Candidates try every retry period to take the lease;
/// it can be taken when it has no holder or when its record has not changed for a lease duration, measured on this
/// process's own monotonic clock from when the record was last seen changing (so clock skew between replicas does
/// not matter). The leader renews every retry period and steps down when it could not renew within the renew
/// deadline or finds another holder; its work is then cancelled and awaited before it competes again. On shutdown
/// the leader keeps renewing while its work drains, then releases the lease so a standby takes over at once.
/// </summary>
public sealed class LeaderElector
{
    private readonly IKubernetes _kubernetes;
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _logger;
    private readonly OperatorMetrics? _metrics;
    private readonly TimeProvider _time;
    private string? _observedRecord;
    private long _observedAt;
    private string? _observedHolder;

    /// <summary>Creates an elector.</summary>
    public LeaderElector(IKubernetes kubernetes, LeaderElectionOptions options, ILogger logger, OperatorMetrics? metrics = null, TimeProvider? time = null)
    {
        _kubernetes = kubernetes ?? throw new ArgumentNullException(nameof(kubernetes));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True while this replica holds the lease.</summary>
    public bool IsLeader { get; private set; }

    /// <summary>This candidate's identity.</summary>
    public string Identity => _options.Identity;

    /// <summary>
    /// Competes for the lease until <paramref name="cancellationToken"/> is cancelled. Each time leadership is won,
    /// <paramref name="onStartedLeading"/> runs with a token that is cancelled when leadership is lost or on
    /// shutdown; it is awaited before <paramref name="onStoppedLeading"/> runs, so work never overlaps two leaders
    /// on this side.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> onStartedLeading, Action? onStoppedLeading, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onStartedLeading);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await AcquireAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            SetLeader(true);
            _logger.LogInformation("{Identity} became leader of lease {Namespace}/{Lease}.", Identity, _options.LeaseNamespace, _options.LeaseName);
            using (var term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            using (var renewal = new CancellationTokenSource())
            {
                var work = RunWorkAsync(onStartedLeading, term.Token);
                // Renewal is not tied to shutdown: work drains after a stop request (transfers finish or abort their
                // uploads), possibly for longer than a lease lasts, and a standby must not start the same work
                // before it has stopped. The lease is released once the work is done.
                var renew = RenewUntilLostAsync(renewal.Token);
                await Task.WhenAny(work, renew).ConfigureAwait(false);
                await term.CancelAsync().ConfigureAwait(false);
                await work.ConfigureAwait(false);
                await renewal.CancelAsync().ConfigureAwait(false);
                await renew.ConfigureAwait(false);
            }

            SetLeader(false);
            if (cancellationToken.IsCancellationRequested)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }

            _logger.LogInformation("{Identity} stopped leading lease {Namespace}/{Lease}.", Identity, _options.LeaseNamespace, _options.LeaseName);
            onStoppedLeading?.Invoke();
        }
    }

    private void SetLeader(bool leader)
    {
        IsLeader = leader;
        _metrics?.Leader.WithLabels(_options.LeaseName).Set(leader ? 1 : 0);
    }

    private async Task RunWorkAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await work(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Leadership ended.
        }
        catch (Exception exception)
        {
            // Leading without working would block the standbys: give the lease up instead.
            _logger.LogError(exception, "Work of leader {Identity} failed; stepping down.", Identity);
        }
    }

    /// <returns>False when cancelled before the lease was acquired.</returns>
    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            try
            {
                await Task.Delay(_options.RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private async Task RenewUntilLostAsync(CancellationToken cancellationToken)
    {
        var lastRenewal = _time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
            {
                lastRenewal = _time.GetTimestamp();
                continue;
            }

            if (_observedHolder != Identity)
            {
                _logger.LogWarning("Lease {Lease} is now held by another candidate; {Identity} steps down.", _options.LeaseName, Identity);
                return;
            }

            if (_time.GetElapsedTime(lastRenewal) >= _options.RenewDeadline)
            {
                _logger.LogWarning("{Identity} could not renew lease {Lease} within {Deadline}; stepping down.", Identity, _options.LeaseName, _options.RenewDeadline);
                return;
            }
        }
    }

    /// <summary>One attempt: create, take over or renew the lease. Never throws except on cancellation.</summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.RenewDeadline);
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var lease = await ReadLeaseAsync(attempt.Token).ConfigureAwait(false);
            if (lease is null)
            {
                await _kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(
                    new V1Lease
                    {
                        Metadata = new V1ObjectMeta { Name = _options.LeaseName, NamespaceProperty = _options.LeaseNamespace },
                        Spec = HeldByMe(new V1LeaseSpec { LeaseTransitions = 0, AcquireTime = now }, now),
                    },
                    _options.LeaseNamespace,
                    cancellationToken: attempt.Token).ConfigureAwait(false);
                Observe(null, Identity);
                return true;
            }

            var spec = lease.Spec ??= new V1LeaseSpec();
            Observe($"{spec.HolderIdentity}|{spec.RenewTime:O}|{lease.ResourceVersion()}", spec.HolderIdentity);
            var heldByOther = !string.IsNullOrEmpty(spec.HolderIdentity) && spec.HolderIdentity != Identity;
            var duration = spec.LeaseDurationSeconds is > 0 ? TimeSpan.FromSeconds(spec.LeaseDurationSeconds.Value) : _options.LeaseDuration;
            if (heldByOther && _time.GetElapsedTime(_observedAt) < duration)
            {
                return false;
            }

            if (spec.HolderIdentity != Identity)
            {
                spec.AcquireTime = now;
                spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
            }

            HeldByMe(spec, now);
            await _kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, _options.LeaseName, _options.LeaseNamespace, cancellationToken: attempt.Token)
                .ConfigureAwait(false);
            Observe(null, Identity);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Lease {Lease} request timed out.", _options.LeaseName);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception exception) when (ApiErrors.IsConflict(exception))
        {
            // Another candidate wrote the lease first.
            return false;
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Lease {Lease} could not be read or written.", _options.LeaseName);
            return false;
        }
    }

    /// <summary>Lets a standby take over immediately instead of waiting a lease duration.</summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(_options.RenewDeadline);
        try
        {
            var lease = await ReadLeaseAsync(timeout.Token).ConfigureAwait(false);
            if (lease?.Spec?.HolderIdentity != Identity)
            {
                return;
            }

            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = _time.GetUtcNow().UtcDateTime;
            await _kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, _options.LeaseName, _options.LeaseNamespace, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            _logger.LogInformation("{Identity} released lease {Lease}.", Identity, _options.LeaseName);
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "{Identity} could not release lease {Lease}; standbys take over after it expires.", Identity, _options.LeaseName);
        }
    }

    private async Task<V1Lease?> ReadLeaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName, _options.LeaseNamespace, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception exception) when (ApiErrors.IsNotFound(exception))
        {
            return null;
        }
    }

    private V1LeaseSpec HeldByMe(V1LeaseSpec spec, DateTime now)
    {
        spec.HolderIdentity = Identity;
        spec.LeaseDurationSeconds = (int)_options.LeaseDuration.TotalSeconds;
        spec.RenewTime = now;
        return spec;
    }

    private void Observe(string? record, string? holder)
    {
        _observedHolder = holder;
        if (record is null || record != _observedRecord)
        {
            _observedRecord = record;
            _observedAt = _time.GetTimestamp();
        }
    }
}
