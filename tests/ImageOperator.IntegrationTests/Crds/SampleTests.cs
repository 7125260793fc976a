using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.IntegrationTests.Crds;

/// <summary>Every sample in <c>config/samples/</c> applies with kubectl, and the API server keeps all it says.</summary>
[Collection(TestCollections.ControlPlane)]
public sealed class SampleTests(ControlPlaneFixture controlPlane)
{
    private const string Kustomization = "kustomization.yaml";
    private const string ApiGroupPrefix = "imageoperator.io/";

    public static TheoryData<string> SampleFiles => [.. Samples()];

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public async Task Sample_applies_and_the_server_keeps_every_field(string file)
    {
        await controlPlane.InstallCrdsAsync();
        var ns = await controlPlane.CreateNamespaceAsync("samples");
        var path = Path.Combine(RepositoryPaths.Samples, file);

        var local = Items(await controlPlane.KubectlAsync("apply", "--dry-run=client", "-o", "json", "-n", ns, "-f", path));
        (await controlPlane.KubectlAsync("apply", "-n", ns, "-f", path)).EnsureSuccess();
        var stored = Items(await controlPlane.KubectlAsync("get", "-n", ns, "-f", path, "-o", "json"));

        stored.Should().HaveSameCount(local);
        var ours = local.Zip(stored).Where(pair => pair.First["apiVersion"]!.GetValue<string>().StartsWith(ApiGroupPrefix, StringComparison.Ordinal)).ToList();
        ours.Should().NotBeEmpty($"{file} should hold at least one {ApiGroupPrefix} object");
        foreach (var (written, read) in ours)
        {
            // A field the schema does not know is pruned silently; the server may only add defaults.
            var what = $"{written["kind"]} {written["metadata"]!["name"]} from {file}";
            MissingOrChanged(written["spec"], read["spec"], "spec").Should().BeEmpty($"the server should keep the spec of {what}");
        }
    }

    [Fact]
    public async Task The_kustomization_lists_every_sample_and_applies()
    {
        await controlPlane.InstallCrdsAsync();
        var ns = await controlPlane.CreateNamespaceAsync("kustomize");

        var listed = File.ReadAllLines(Path.Combine(RepositoryPaths.Samples, Kustomization))
            .Where(line => line.StartsWith("- ", StringComparison.Ordinal)).Select(line => line[2..].Trim());
        listed.Should().BeEquivalentTo(Samples());
        (await controlPlane.KubectlAsync("apply", "-n", ns, "-k", RepositoryPaths.Samples)).EnsureSuccess();
    }

    private static IEnumerable<string> Samples() =>
        Directory.GetFiles(RepositoryPaths.Samples, "*.yaml").Select(Path.GetFileName).OfType<string>()
            .Where(name => name != Kustomization).Order(StringComparer.Ordinal);

    private static List<JsonNode> Items(ProcessResult kubectl)
    {
        var json = JsonNode.Parse(kubectl.EnsureSuccess().StandardOutput)!;
        return json["kind"]!.GetValue<string>() == "List" ? [.. json["items"]!.AsArray().Select(item => item!)] : [json];
    }

    /// <summary>Paths of the values in <paramref name="expected"/> that <paramref name="actual"/> lacks or differs in.</summary>
    private static IEnumerable<string> MissingOrChanged(JsonNode? expected, JsonNode? actual, string path) => expected switch
    {
        JsonObject fields => fields.SelectMany(field => MissingOrChanged(field.Value, (actual as JsonObject)?[field.Key], $"{path}.{field.Key}")),
        JsonArray items when actual is JsonArray actualItems && actualItems.Count == items.Count =>
            items.SelectMany((item, i) => MissingOrChanged(item, actualItems[i], $"{path}[{i}]")),
        _ => JsonNode.DeepEquals(expected, actual) ? [] : [$"{path}: wrote {expected?.ToJsonString()}, read {actual?.ToJsonString() ?? "nothing"}"],
    };
}
