using System.Text.RegularExpressions;
using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.Tests.Runtime;

/// <summary>Every metric the operator exports carries the one prefix, and the README's metrics table names only those.</summary>
public sealed partial class MetricNameTests
{
    private const string Prefix = "imageoperator_";

    [Fact]
    public void Every_metric_name_starts_with_the_operator_prefix()
    {
        var names = Declared();

        names.Should().NotBeEmpty().And.AllSatisfy(name => name.Should().StartWith(Prefix));
    }

    [Fact]
    public void Readme_names_only_declared_metrics()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var documented = DocumentedName().Matches(readme).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        documented.Should().NotBeEmpty().And.BeSubsetOf(Declared());
    }

    private static HashSet<string> Declared() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "operator"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => MetricCreation().Matches(File.ReadAllText(path)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>prometheus-net's factories: <c>Metrics.CreateCounter("name", ...)</c> and the like.</summary>
    [GeneratedRegex("""Create(?:Counter|Gauge|Histogram|Summary)\(\s*"([A-Za-z_:][A-Za-z0-9_:]*)"\s*,""")]
    private static partial Regex MetricCreation();

    /// <summary>A full metric name in backticks at the start of a README table cell.</summary>
    [GeneratedRegex("""\| `((?:imageoperator|image_operator)_[a-z_]+)""")]
    private static partial Regex DocumentedName();
}
