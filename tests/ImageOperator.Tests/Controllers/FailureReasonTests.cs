using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Controllers;
using ImageOperator.Tenancy;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.Tests.Controllers;

/// <summary>The README's troubleshooting table lists exactly the reasons an import or export can fail with.</summary>
public sealed partial class FailureReasonTests
{
    private static readonly Type[] ReasonClasses = [typeof(ConditionReasons), typeof(ControllerReasons), typeof(TenancyReasons)];

    [Fact]
    public void The_troubleshooting_table_lists_every_failure_reason_and_no_other()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var table = readme[readme.IndexOf("## Troubleshooting", StringComparison.Ordinal)..];
        var documented = TableReason().Matches(table).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        documented.Should().BeEquivalentTo(SetByTheCode());
    }

    [Fact]
    public void The_scan_finds_the_reasons_of_each_kind_of_failure() =>
        SetByTheCode().Should().Contain([
            ConditionReasons.SourceNotFound, ConditionReasons.CorruptImage, ConditionReasons.StorageError,
            ControllerReasons.RetryLimitExceeded, ControllerReasons.EmptySource, TenancyReasons.NotGranted, TenancyReasons.ReservedBucket,
        ]);

    /// <summary>Reasons given to a TransferFailure or an AccessRefusal, or chosen by a switch arm or a conditional, anywhere in the operator.</summary>
    private static HashSet<string> SetByTheCode()
    {
        var values = ReasonClasses
            .SelectMany(type => type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (Key: $"{type.Name}.{f.Name}", Value: (string)f.GetValue(null)!)))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "operator", "ImageOperator"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => FailureReason().Matches(File.ReadAllText(path)).Select(m => values[$"{m.Groups[1].Value}.{m.Groups[2].Value}"]))
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex("""(?:new (?:TransferFailure|AccessRefusal)\(\s*|=> |\? |: )(?:[\w.]*\.)?(ConditionReasons|ControllerReasons|TenancyReasons)\.(\w+)""")]
    private static partial Regex FailureReason();

    /// <summary>A reason in backticks at the start of a table row.</summary>
    [GeneratedRegex("""^\| `([A-Za-z]+)` \|""", RegexOptions.Multiline)]
    private static partial Regex TableReason();
}
