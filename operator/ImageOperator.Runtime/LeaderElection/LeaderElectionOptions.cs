namespace ImageOperator.Runtime.LeaderElection;

/// <summary>Settings of leader election with a <c>coordination.k8s.io/v1</c> Lease (client-go's defaults).</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>Name of the Lease object.</summary>
    public string LeaseName { get; init; } = "image-operator-leader";

    /// <summary>Namespace of the Lease object (the operator's own namespace).</summary>
    public string LeaseNamespace { get; init; } = "default";

    /// <summary>This replica's identity, written as the lease holder; unique per process.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid():N}";

    /// <summary>How long other candidates wait, after the last renewal they observed, before taking the lease over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it gives leadership up (less than <see cref="LeaseDuration"/>).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval between attempts to acquire or renew.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws when the durations cannot work together.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(LeaseName);
        ArgumentException.ThrowIfNullOrWhiteSpace(LeaseNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(Identity);
        if (RetryPeriod <= TimeSpan.Zero || RenewDeadline <= RetryPeriod || LeaseDuration <= RenewDeadline)
        {
            throw new ArgumentException(
                $"Leader election needs 0 < retryPeriod ({RetryPeriod}) < renewDeadline ({RenewDeadline}) < leaseDuration ({LeaseDuration}).");
        }
    }
}
