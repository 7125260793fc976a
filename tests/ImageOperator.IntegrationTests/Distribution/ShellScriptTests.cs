using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>Every shell script under tests/ (stack, e2e) passes shellcheck (installed by tests/stack/provision.sh).</summary>
public sealed class ShellScriptTests
{
    public static TheoryData<string> Scripts() => [.. ScriptPaths()];

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script_passes_shellcheck(string script)
    {
        await Stack.EnsureProvisionedAsync();
        var path = Path.Combine(RepositoryPaths.Root, script);

        var result = await ProcessRunner.RunAsync("shellcheck", ["--external-sources", "--source-path=SCRIPTDIR", path]);

        result.ExitCode.Should().Be(0, result.StandardOutput);
    }

    [Fact]
    public void Scripts_include_the_local_stack_and_the_kind_end_to_end_run()
    {
        ScriptPaths().Should().Contain(["tests/stack/run-local.sh", "tests/e2e/kind.sh"]);
    }

    private static IEnumerable<string> ScriptPaths() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "tests"), "*.sh", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(RepositoryPaths.Root, path))
            .Order(StringComparer.Ordinal);
}
