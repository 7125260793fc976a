using System.Globalization;
using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Testing;
using k8s;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImageOperator.Tests.Api;

/// <summary>
/// The samples users copy must read into the C# types without losing a field, and must be consistent with each
/// other and with the catalogues (the API-server integration tests apply them to a real server).
/// </summary>
public sealed class SamplesTests
{
    private static readonly Dictionary<string, Type> Kinds = new()
    {
        ["CustomImage"] = typeof(CustomImage),
        ["ImageImport"] = typeof(ImageImport),
        ["ImageExport"] = typeof(ImageExport),
        ["ComputeShape"] = typeof(ComputeShape),
    };

    private static readonly Lazy<List<(string File, JsonObject Json)>> Documents = new(LoadSamples);

    [Fact]
    public void Kustomization_lists_every_sample_file()
    {
        var kustomization = new YamlStream();
        kustomization.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryPaths.Samples, "kustomization.yaml"))));
        var resources = ((YamlSequenceNode)((YamlMappingNode)kustomization.Documents[0].RootNode)["resources"])
            .Select(n => n.ToString());

        resources.Should().BeEquivalentTo(SampleFiles().Select(Path.GetFileName));
    }

    [Fact]
    public void Samples_cover_every_kind_and_the_documented_variants()
    {
        var kinds = Documents.Value.Select(d => (string)d.Json["kind"]!).ToList();
        kinds.Should().Contain(Kinds.Keys);
        Objects<ImageImport>().Select(i => i.Spec.Source).Should()
            .Contain(s => s.ObjectStore != null).And.Contain(s => s.Url != null && s.Url.SecretRef != null);
        Objects<ImageExport>().Select(e => e.Spec.Format).Should().Contain([ExportFormat.Vmdk, ExportFormat.Oci]);
        var shapes = Objects<ComputeShape>().Select(s => s.Spec).ToList();
        shapes.Select(s => s.HardwareGeneration).Should().Contain([HardwareGeneration.X5, HardwareGeneration.X6, HardwareGeneration.X7]);
        shapes.Should().Contain(s => s.Baremetal).And.Contain(s => !s.Baremetal);
        shapes.Should().Contain(s => WindowsCapable(s)).And.Contain(s => !WindowsCapable(s));
    }

    [Fact]
    public void Every_sample_reads_into_its_type_without_losing_a_field()
    {
        foreach (var (file, json) in Documents.Value.Where(d => Kinds.ContainsKey((string)d.Json["kind"]!)))
        {
            var type = Kinds[(string)json["kind"]!];
            var written = JsonNode.Parse(KubernetesJson.Serialize(KubernetesJsonOf.Deserialize(json.ToJsonString(), type)))!;

            AssertContains(written, json, $"{file} {json["metadata"]!["name"]}");
        }
    }

    [Fact]
    public void Images_refer_to_catalogued_shapes_and_operating_systems()
    {
        var shapeNames = Objects<ComputeShape>().Select(s => s.Metadata.Name).ToHashSet();
        foreach (var image in Objects<CustomImage>())
        {
            image.Spec.ShapeCompatibilities.Select(c => c.Shape).Should().BeSubsetOf(shapeNames, image.Metadata.Name);
            OperatingSystems.Resolve(image.Spec.OperatingSystem, image.Spec.OperatingSystemVersion).Should().NotBeNull(image.Metadata.Name);
        }

        foreach (var import in Objects<ImageImport>())
        {
            import.Spec.ShapeCompatibilities.Select(c => c.Shape).Should().BeSubsetOf(shapeNames, import.Metadata.Name);
            OperatingSystems.Resolve(import.Spec.OperatingSystem!.Value, import.Spec.OperatingSystemVersion!).Should().NotBeNull();
            if (OperatingSystems.IsWindows(import.Spec.OperatingSystem!.Value))
            {
                import.Spec.LicenseAttestation!.WindowsLicenseCompliant.Should().BeTrue(import.Metadata.Name);
            }
        }
    }

    [Fact]
    public void Secret_references_name_secrets_of_the_samples()
    {
        var secrets = Documents.Value.Where(d => (string)d.Json["kind"]! == "Secret")
            .ToDictionary(d => (string)d.Json["metadata"]!["name"]!, d => d.Json["stringData"]!.AsObject());
        var references = Objects<ImageImport>().Select(i => i.Spec.Source.Url?.SecretRef)
            .Concat(Objects<ImageExport>().Select(e => e.Spec.Destination.Url?.SecretRef))
            .OfType<SecretKeyReference>().ToList();

        references.Should().NotBeEmpty();
        foreach (var reference in references)
        {
            secrets.Should().ContainKey(reference.Name);
            secrets[reference.Name].ContainsKey(reference.Key).Should().BeTrue(reference.Name);
        }
    }

    [Fact]
    public void Exports_refer_to_sample_images()
    {
        var images = Objects<CustomImage>().Select(i => i.Metadata.Name).ToHashSet();

        Objects<ImageExport>().Select(e => e.Spec.ImageName).Should().BeSubsetOf(images);
    }

    // Windows needs processor generation v3 or later, 2 vCPUs and 4 GB (SPEC §4).
    private static bool WindowsCapable(ComputeShapeSpec shape) =>
        shape.ProcessorGeneration >= ProcessorGeneration.V3 && shape.Vcpus >= 2 && shape.MemoryInGBs >= 4;

    private static IEnumerable<T> Objects<T>() =>
        Documents.Value.Where(d => (string)d.Json["kind"]! == typeof(T).Name)
            .Select(d => KubernetesJson.Deserialize<T>(d.Json.ToJsonString()));

    private static IEnumerable<string> SampleFiles() =>
        Directory.GetFiles(RepositoryPaths.Samples, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml");

    private static List<(string File, JsonObject Json)> LoadSamples()
    {
        var documents = new List<(string, JsonObject)>();
        foreach (var file in SampleFiles())
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            documents.AddRange(stream.Documents.Select(d => (Path.GetFileName(file), ToJson(d.RootNode).AsObject())));
        }

        return documents;
    }

    // YAML to JSON as the API server reads it: plain scalars that look like numbers or booleans become those.
    private static JsonNode ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(c.Key.ToString(), (JsonNode?)ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Select(n => (JsonNode?)ToJson(n)).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } flag => JsonValue.Create(flag.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, CultureInfo.InvariantCulture, out var whole) => JsonValue.Create(whole),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar when double.TryParse(scalar.Value, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value!),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}."),
    };

    private static void AssertContains(JsonNode actual, JsonNode expected, string where)
    {
        switch (expected)
        {
            case JsonObject map:
                foreach (var (key, value) in map)
                {
                    actual.AsObject().ContainsKey(key).Should().BeTrue($"{where}: field '{key}' must be known to the C# type");
                    AssertContains(actual[key]!, value!, $"{where}.{key}");
                }

                break;
            case JsonArray list:
                actual.AsArray().Should().HaveCount(list.Count, where);
                for (var i = 0; i < list.Count; i++)
                {
                    AssertContains(actual[i]!, list[i]!, $"{where}[{i}]");
                }

                break;
            default:
                JsonNode.DeepEquals(actual, expected).Should()
                    .BeTrue($"{where}: {expected.ToJsonString()} must read back unchanged, got {actual.ToJsonString()}");
                break;
        }
    }
}
