using ImageOperator.Testing;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>
/// The chart as the real <c>helm</c> binary renders and lints it (provisioning puts helm v4 on PATH). Values are
/// YAML handed to helm on stdin, merged over <c>values.yaml</c> as <c>helm install -f</c> merges them.
/// </summary>
internal static class HelmChart
{
    /// <summary>Runs <c>helm template</c> for a release and fails with helm's message if the chart does not render.</summary>
    public static async Task<RenderedChart> TemplateAsync(string release, string @namespace, string? values = null, IEnumerable<string>? arguments = null)
    {
        var result = await TryTemplateAsync(release, @namespace, values, arguments);
        return result.Succeeded
            ? new RenderedChart(result.StandardOutput)
            : throw new InvalidOperationException($"helm template failed with values {values ?? "(defaults)"}:\n{result}");
    }

    /// <summary>Runs <c>helm template</c> (more <paramref name="arguments"/> such as <c>--set</c> after the values) and returns helm's answer, rendered or not.</summary>
    public static Task<ProcessResult> TryTemplateAsync(string release, string @namespace, string? values = null, IEnumerable<string>? arguments = null) =>
        ProcessRunner.RunAsync("helm",
            ["template", release, DistributionFiles.ChartDirectory, "--namespace", @namespace, "--values", "-", .. arguments ?? []],
            standardInput: values ?? "");

    /// <summary>Runs <c>helm lint --strict</c> (unknown value keys and template warnings are errors) with values.</summary>
    public static Task<ProcessResult> LintAsync(string? values = null) =>
        ProcessRunner.RunAsync("helm", ["lint", "--strict", DistributionFiles.ChartDirectory, "--values", "-"], standardInput: values ?? "");
}

/// <summary>The manifests <c>helm template</c> printed, as YAML documents and as maps.</summary>
internal sealed class RenderedChart
{
    public RenderedChart(string output)
    {
        Documents =
        [
            .. output.ReplaceLineEndings("\n").Split("\n---\n").Select(d => d.StartsWith("---\n", StringComparison.Ordinal) ? d[4..] : d)
                .Where(d => d.Split('\n').Any(line => line.Trim() is { Length: > 0 } text && !text.StartsWith('#'))),
        ];
        Objects = [.. Documents.Select(YamlMaps.ParseMap)];
    }

    /// <summary>The non-empty YAML documents, in helm's order (what <c>helm install</c> would apply).</summary>
    public IReadOnlyList<string> Documents { get; }

    /// <summary>All manifests as one multi-document stream, for <c>kubectl apply -f -</c>.</summary>
    public string Manifest => string.Join("---\n", Documents.Select(d => d.TrimEnd('\n') + "\n"));

    /// <summary>The documents parsed as maps, for assertions.</summary>
    public IReadOnlyList<SortedDictionary<string, object?>> Objects { get; }

    /// <summary>The one object of <paramref name="kind"/> whose name ends with <paramref name="nameSuffix"/>.</summary>
    public SortedDictionary<string, object?> Single(string kind, string nameSuffix = "") =>
        Objects.Single(o => (string?)o["kind"] == kind
            && ((string)((IDictionary<string, object?>)o["metadata"]!)["name"]!).EndsWith(nameSuffix, StringComparison.Ordinal));
}
