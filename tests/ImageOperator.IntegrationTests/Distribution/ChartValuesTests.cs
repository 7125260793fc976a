using System.Text.RegularExpressions;
using FluentAssertions;
using ImageOperator.Configuration;
using ImageOperator.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>
/// The chart's values, judged by the real helm: every documented value set lints strictly and renders, the
/// README's install command configures the store it names, and every value in <c>values.yaml</c> is read by a
/// template (a value no template reads is a setting users would change in vain).
/// </summary>
public sealed partial class ChartValuesTests
{
    /// <summary>The value sets the README and values.yaml document, as YAML.</summary>
    public static TheoryData<string, string> DocumentedValueSets => new()
    {
        { "defaults", "" },
        { "cert-manager", DistributionFiles.CertManagerValues },
        { "cert-manager with an issuer", "webhook: {certificates: {certManager: {enabled: true, issuerRef: {kind: ClusterIssuer, name: corp-ca}}}}" },
        { "service-monitor", DistributionFiles.ServiceMonitorValues },
        { "chart-created credentials", "objectStores: [{name: default, endpoint: 'http://minio.minio.svc:9000', credentialsSecret: {name: s3, create: true, accessKey: AKIAEXAMPLE, secretKey: example-secret}}]" },
        { "single tenant", "objectStores: [{name: default, endpoint: 'http://minio.minio.svc:9000', credentialsSecret: {name: image-operator-s3}, grants: [{namespaces: ['*'], buckets: ['*'], access: ReadWrite}]}]" },
        { "one namespace, no leader election", "replicaCount: 1\nleaderElection: {enabled: false}\nwatchNamespace: team-a" },
        { "webhooks off", "webhook: {enabled: false}" },
    };

    [Theory]
    [MemberData(nameof(DocumentedValueSets))]
    public async Task Documented_values_lint_strictly(string variant, string values)
    {
        var lint = await HelmChart.LintAsync(values);

        lint.Succeeded.Should().BeTrue($"helm lint --strict of the {variant} values:\n{lint}");
        (await HelmChart.TemplateAsync("image-operator", "operators", values)).Objects.Should().NotBeEmpty();
    }

    [Fact]
    public async Task Readme_install_command_and_store_entry_reach_the_operator()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md")).Replace("\\\n", " ", StringComparison.Ordinal);
        var install = InstallCommand().Match(readme);
        install.Success.Should().BeTrue("README.md shows a `helm install ... charts/image-operator` command");
        var sets = SetArgument().Matches(install.Value).SelectMany(m => new[] { "--set", m.Groups["value"].Value }).ToList();

        var installed = await HelmChart.TemplateAsync("image-operator", "image-operator-system", arguments: sets);
        var store = ChartTests.Operator(installed).GetRequiredService<OperatorOptions>().ObjectStores.Single();
        store.Endpoint.Should().Be("http://minio.minio.svc:9000");
        store.CredentialsSecret.Name.Should().Be("image-operator-s3", "the README creates that Secret just before");
        store.Grants.Should().NotBeEmpty();

        var entry = StoreEntry().Match(readme);
        entry.Success.Should().BeTrue("README.md shows a complete objectStores entry");
        var configured = ChartTests.Operator(await HelmChart.TemplateAsync("image-operator", "operators", entry.Groups["yaml"].Value))
            .GetRequiredService<OperatorOptions>().ObjectStores.Single();
        configured.Endpoint.Should().Be("https://s3.example.com");
        configured.Grants.Single().Prefix.Should().Be("{namespace}/");
    }

    [Theory]
    [InlineData("objectStores[0].endpoint=https://s3.example.com", "objectStores[0].name is required")]
    [InlineData("objectStores[0].name=east", "objectStores[0].endpoint is required")]
    [InlineData("objectStores[0].name=east,objectStores[0].endpoint=https://s3.example.com", "objectStores[0].credentialsSecret.name is required")]
    public async Task Incomplete_store_entry_is_refused_naming_the_field(string set, string message)
    {
        var result = await HelmChart.TryTemplateAsync("image-operator", "operators", arguments: ["--set", set]);

        result.Succeeded.Should().BeFalse();
        result.StandardError.Should().Contain(message);
    }

    [Fact]
    public async Task Every_value_in_values_yaml_is_read_by_a_template()
    {
        var defaults = File.ReadAllText(Path.Combine(DistributionFiles.ChartDirectory, "values.yaml"));
        // Some values only matter once another is on (the issuer once cert-manager is, the keys once the chart
        // creates the Secret): a value counts as read if changing it changes the output over one of these sets.
        var contexts = new List<(SortedDictionary<string, object?> Values, string Rendered)>();
        foreach (var row in DocumentedValueSets)
        {
            var values = YamlMaps.ParseMap(defaults);
            YamlMaps.Merge(values, YamlMaps.ParseMap((string)row[1]));
            contexts.Add((values, await RenderAsync(values)));
        }

        var unread = new List<string>();
        foreach (var (name, keys) in Leaves(YamlMaps.ParseMap(defaults), ""))
        {
            var read = false;
            foreach (var (values, rendered) in contexts)
            {
                // Each probe is the whole values tree with one leaf changed: helm replaces lists as a whole.
                var probe = YamlMaps.ParseMap(YamlMaps.Emit(values));
                // A value the chart refuses (helm fails) is read too.
                if (TryChange(probe, keys) && await RenderAsync(probe) != rendered)
                {
                    read = true;
                    break;
                }
            }

            if (!read)
            {
                unread.Add(name);
            }
        }

        unread.Should().BeEmpty("every value in values.yaml should change what the chart renders");
    }

    private static IEnumerable<(string Name, object[] Keys)> Leaves(object? node, string name, params object[] keys)
    {
        switch (node)
        {
            case IDictionary<string, object?> { Count: > 0 } map:
                foreach (var (key, child) in map)
                {
                    foreach (var leaf in Leaves(child, name.Length == 0 ? key : $"{name}.{key}", [.. keys, key]))
                    {
                        yield return leaf;
                    }
                }

                break;
            case IList<object?> { Count: > 0 } list:
                for (var i = 0; i < list.Count; i++)
                {
                    foreach (var leaf in Leaves(list[i], $"{name}[{i}]", [.. keys, i]))
                    {
                        yield return leaf;
                    }
                }

                break;
            default:
                yield return (name, keys);
                break;
        }
    }

    /// <summary>Changes the leaf at <paramref name="keys"/>; false when these values have no such leaf.</summary>
    private static bool TryChange(object root, object[] keys)
    {
        var parent = root;
        foreach (var key in keys[..^1])
        {
            if (Child(parent, key) is not { } child)
            {
                return false;
            }

            parent = child;
        }

        switch (parent, keys[^1])
        {
            case (IDictionary<string, object?> map, string name) when map.ContainsKey(name):
                map[name] = Changed(map[name]);
                return true;
            case (IList<object?> list, int index) when index < list.Count:
                list[index] = Changed(list[index]);
                return true;
            default:
                return false;
        }
    }

    private static object? Child(object parent, object key) => (parent, key) switch
    {
        (IDictionary<string, object?> map, string name) when map.TryGetValue(name, out var child) => child,
        (IList<object?> list, int index) when index < list.Count => list[index],
        _ => null,
    };

    private static object? Changed(object? value) => value switch
    {
        bool flag => !flag,
        long number => number + 1,
        double number => number + 1,
        string { Length: 0 } => "probe",
        string text => text + "-probe",
        IDictionary<string, object?> => new SortedDictionary<string, object?>(StringComparer.Ordinal) { ["probe"] = "probe" },
        IList<object?> => new List<object?> { "probe" },
        _ => "probe",
    };

    /// <summary>The rendered documents, or helm's refusal.</summary>
    private static async Task<string> RenderAsync(SortedDictionary<string, object?> values)
    {
        var result = await HelmChart.TryTemplateAsync("image-operator", "operators", YamlMaps.Emit(values));
        return result.Succeeded ? string.Join("---\n", new RenderedChart(result.StandardOutput).Documents) : $"refused: {result.StandardError}";
    }

    [GeneratedRegex(@"helm install [^\n]*charts/image-operator[^\n]*")]
    private static partial Regex InstallCommand();

    [GeneratedRegex(@"--set '(?<value>[^']*)'|--set (?<value>[^\s']+)")]
    private static partial Regex SetArgument();

    [GeneratedRegex(@"A complete entry:\s+```yaml\n(?<yaml>.*?)```", RegexOptions.Singleline)]
    private static partial Regex StoreEntry();
}
