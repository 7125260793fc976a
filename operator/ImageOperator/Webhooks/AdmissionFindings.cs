using ImageOperator.Runtime.Webhooks;

namespace ImageOperator.Webhooks;

/// <summary>
/// Collects what the rules find in one object: violations (each naming the field path and the rule broken) and
/// warnings. All violations are reported together so that a user fixes a manifest in one round.
/// </summary>
public sealed class AdmissionFindings
{
    private readonly List<string> violations = [];
    private readonly List<string> warnings = [];

    /// <summary>The violations found, as <c>field: problem</c>.</summary>
    public IReadOnlyList<string> Violations => violations;

    /// <summary>The warnings found.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Records a violation of the rule at <paramref name="field"/>.</summary>
    public void Deny(string field, string problem) => violations.Add($"{field}: {problem}");

    /// <summary>Records a warning about <paramref name="field"/>.</summary>
    public void Warn(string field, string advice) => warnings.Add($"{field}: {advice}");

    /// <summary>The verdict: denied with every violation when there is one, admitted with the warnings otherwise.</summary>
    public ValidationResult ToResult() =>
        violations.Count == 0
            ? ValidationResult.Success(warnings)
            : ValidationResult.Fail(string.Join("; ", violations), 422, warnings);
}
