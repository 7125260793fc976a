using ImageOperator.Runtime.LeaderElection;

namespace ImageOperator.Runtime.Hosting;

/// <summary>Settings of the operator runtime as a whole.</summary>
public sealed class OperatorOptions
{
    /// <summary>Leader election; null runs the controllers unconditionally (single replica, tests).</summary>
    public LeaderElectionOptions? LeaderElection { get; set; } = new();

    /// <summary>Reporting component written into Events.</summary>
    public string EventComponent { get; set; } = "image-operator";
}
