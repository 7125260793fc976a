using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;
using FluentAssertions;
using ImageOperator.Api.Schema;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.CrdGen;
using ImageOperator.Testing;
using k8s.Models;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace ImageOperator.Tests.Api;

public sealed class CrdGeneratorTests
{
    private static readonly Lazy<IReadOnlyList<GeneratedCrd>> Generated = new(() => CrdGenerator.Generate(typeof(CustomImage).Assembly));

    [Fact]
    public void Generates_one_crd_per_resource()
    {
        Generated.Value.Select(c => c.FileName).Should().Equal(
            "imageoperator.io_computeshapes.yaml",
            "imageoperator.io_customimages.yaml",
            "imageoperator.io_imageexports.yaml",
            "imageoperator.io_imageimports.yaml");
    }

    [Fact]
    public void Output_is_byte_identical_across_runs()
    {
        var again = CrdGenerator.Generate(typeof(CustomImage).Assembly);

        again.Should().Equal(Generated.Value);
    }

    [Fact]
    public void Committed_crds_are_up_to_date()
    {
        var folder = RepositoryPaths.Crds;
        const string Fix = "run: dotnet run --project operator/ImageOperator.CrdGen -- --output crds";

        Directory.GetFiles(folder, "*.yaml").Select(Path.GetFileName).Should()
            .BeEquivalentTo(Generated.Value.Select(c => c.FileName), $"crds/ must hold exactly the generated files; {Fix}");
        foreach (var crd in Generated.Value)
        {
            // Decoding keeps a byte order mark or invalid bytes visible, so equal text means equal bytes.
            Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(folder, crd.FileName))).Should()
                .Be(crd.Yaml, $"crds/{crd.FileName} is stale; {Fix}");
        }
    }

    [Fact]
    public void Folder_writer_replaces_changed_files_and_removes_stale_ones()
    {
        var folder = Directory.CreateTempSubdirectory("crdgen-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "imageoperator.io_oldkinds.yaml"), "stale");
            File.WriteAllText(Path.Combine(folder, "imageoperator.io_customimages.yaml"), "outdated");
            File.WriteAllText(Path.Combine(folder, "other.yaml"), "kept");

            CrdFolder.Write(folder, Generated.Value, Groups.ImageOperator);

            Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(
                Generated.Value.Select(c => c.FileName).Append("other.yaml"));
            File.ReadAllBytes(Path.Combine(folder, "imageoperator.io_customimages.yaml")).Should()
                .Equal(Encoding.UTF8.GetBytes(Generated.Value.Single(c => c.FileName == "imageoperator.io_customimages.yaml").Yaml));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Custom_image_crd_has_names_scope_columns_and_status_subresource()
    {
        var version = Version(Crd("customimages"));
        var spec = Crd("customimages")["spec"];

        Scalar(spec, "scope").Should().Be("Namespaced");
        Strings(spec["names"]["shortNames"]).Should().Equal("cimg");
        Strings(spec["names"]["categories"]).Should().Equal("vmimages");
        Scalar(spec["names"], "listKind").Should().Be("CustomImageList");
        ((YamlSequenceNode)version["additionalPrinterColumns"]).Select(c => Scalar(c, "name")).Should()
            .Equal("State", "OS", "Version", "Launch Mode", "Size", "Age");
        ((YamlMappingNode)version["subresources"]["status"]).Children.Should().BeEmpty();
        Scalar(version, "served").Should().Be("true");
        Scalar(version, "storage").Should().Be("true");
    }

    [Fact]
    public void Compute_shape_is_cluster_scoped_without_status()
    {
        var spec = Crd("computeshapes")["spec"];

        Scalar(spec, "scope").Should().Be("Cluster");
        Strings(spec["names"]["shortNames"]).Should().Equal("shape");
        ((YamlMappingNode)Version(Crd("computeshapes"))).Children.Keys.Select(k => k.ToString()).Should().NotContain("subresources");
        ((YamlMappingNode)Schema("computeshapes")["properties"]).Children.Keys.Select(k => k.ToString()).Should()
            .Equal("apiVersion", "kind", "metadata", "spec");
    }

    [Fact]
    public void Schema_carries_types_formats_enums_defaults_and_bounds()
    {
        var spec = Schema("customimages")["properties"]["spec"];
        var status = Schema("customimages")["properties"]["status"];

        Strings(spec["required"]).Should().Equal("launchMode", "operatingSystem", "operatingSystemVersion");
        Strings(spec["properties"]["launchMode"]["enum"]).Should().Equal("NATIVE", "PARAVIRTUALIZED", "EMULATED");
        Scalar(spec["properties"]["architecture"], "default").Should().Be("x86_64");
        Scalar(spec["properties"]["origin"], "default").Should().Be("Custom");
        Scalar(spec["properties"]["freeformTags"]["additionalProperties"], "type").Should().Be("string");
        Scalar(spec["properties"]["definedTags"]["additionalProperties"]["additionalProperties"], "type").Should().Be("string");
        Scalar(spec["properties"]["shapeCompatibilities"], "x-kubernetes-list-type").Should().Be("map");
        Strings(spec["properties"]["shapeCompatibilities"]["x-kubernetes-list-map-keys"]).Should().Equal("shape");
        Scalar(spec["properties"]["sharing"]["properties"]["namespaces"], "x-kubernetes-list-type").Should().Be("set");
        var volume = spec["properties"]["blockDeviceMappings"]["items"]["properties"]["volumeSizeGiB"];
        (Scalar(volume, "type"), Scalar(volume, "format"), Scalar(volume, "minimum"), Scalar(volume, "maximum"))
            .Should().Be(("integer", "int32", "1", "32768"));
        Scalar(status["properties"]["storedDisk"]["properties"]["sizeBytes"], "format").Should().Be("int64");
        Scalar(status["properties"]["conditions"]["items"]["properties"]["lastTransitionTime"], "format").Should().Be("date-time");
        Strings(status["properties"]["conditions"]["x-kubernetes-list-map-keys"]).Should().Equal("type");
        Scalar(Schema("imageimports")["properties"]["spec"]["properties"]["sourceImageType"], "default").Should().Be("Auto");
    }

    [Fact]
    public void Every_field_is_described_and_metadata_is_left_to_the_api_server()
    {
        foreach (var crd in Generated.Value)
        {
            var root = (YamlMappingNode)Schema(crd);
            ((YamlMappingNode)root["properties"]["metadata"]).Children.Should().ContainSingle("metadata may only be typed");
            foreach (var (path, field) in Fields(root, "").Where(f => f.Path != ".metadata"))
            {
                field.Children.Keys.Select(k => k.ToString()).Should().Contain("description", $"{crd.FileName} {path}");
            }
        }
    }

    [Fact]
    public void One_of_sources_and_destinations_is_required()
    {
        var source = Schema("imageimports")["properties"]["spec"]["properties"]["source"];
        var destination = Schema("imageexports")["properties"]["spec"]["properties"]["destination"];

        ((YamlSequenceNode)source["oneOf"]).Select(c => Strings(c["required"]).Single()).Should()
            .Equal("objectStore", "url", "customImage", "manifest");
        ((YamlSequenceNode)destination["oneOf"]).Select(c => Strings(c["required"]).Single()).Should().Equal("objectStore", "url");
        ((YamlSequenceNode)source["properties"]["url"]["oneOf"]).Should().HaveCount(2);
    }

    [Fact]
    public void Scalars_that_yaml_would_read_as_other_types_are_quoted()
    {
        var yaml = Generated.Value.Single(c => c.FileName.EndsWith("_customimages.yaml", StringComparison.Ordinal)).Yaml;

        yaml.Should().Contain("- \"True\"").And.Contain("- \"False\"").And.Contain("- Unknown");
        yaml.Should().Contain("served: true");
        yaml.Should().NotContain("\r");
    }

    [Fact]
    public void Condition_stand_in_matches_kubernetes_client_condition()
    {
        SchemaBuilder.JsonProperties(typeof(ConditionSchema)).Select(p => p.Name).Should()
            .BeEquivalentTo(SchemaBuilder.JsonProperties(typeof(V1Condition)).Select(p => p.Name));
    }

    [Fact]
    public void Refuses_an_undocumented_field_naming_it()
    {
        var build = () => new SchemaBuilder(new XmlDocumentation()).ObjectSchema(typeof(UndocumentedSpec), "x");

        build.Should().Throw<InvalidOperationException>().WithMessage("*UndocumentedSpec.Secret*summary*");
    }

    [Fact]
    public void Refuses_a_list_map_key_that_is_not_required()
    {
        var build = () => new SchemaBuilder(new XmlDocumentation()).ObjectSchema(typeof(BadListSpec), "x");

        build.Should().Throw<InvalidOperationException>().WithMessage("*BadListSpec.Items*must be required*namespace*");
    }

    [Fact]
    public void Refuses_a_default_on_a_required_field()
    {
        var build = () => new SchemaBuilder(new XmlDocumentation()).ObjectSchema(typeof(RequiredWithDefaultSpec), "x");

        build.Should().Throw<InvalidOperationException>().WithMessage("*RequiredWithDefaultSpec.Mode*required*default*");
    }

    [Fact]
    public void Refuses_a_printer_column_without_a_matching_field()
    {
        var generate = () => CrdGenerator.Generate(typeof(BadColumnEntity));

        generate.Should().Throw<InvalidOperationException>().WithMessage("*BadColumnEntity*'Size'*.spec.size*");
    }

    [Fact]
    public void Condition_types_and_reasons_fit_the_condition_schema()
    {
        var condition = Schema("customimages")["properties"]["status"]["properties"]["conditions"]["items"]["properties"];
        var typePattern = new Regex(Scalar(condition["type"], "pattern"));
        var reasonPattern = new Regex(Scalar(condition["reason"], "pattern"));

        foreach (var (constants, pattern) in new[] { (typeof(ConditionTypes), typePattern), (typeof(ConditionReasons), reasonPattern) })
        {
            var values = constants.GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
            values.Should().NotBeEmpty().And.OnlyHaveUniqueItems().And.OnlyContain(v => pattern.IsMatch(v));
        }
    }

    private static YamlMappingNode Crd(string plural)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(Generated.Value.Single(c => c.FileName == $"imageoperator.io_{plural}.yaml").Yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlNode Version(YamlMappingNode crd) => ((YamlSequenceNode)crd["spec"]["versions"]).Single();

    private static YamlNode Schema(string plural) => Version(Crd(plural))["schema"]["openAPIV3Schema"];

    private static YamlNode Schema(GeneratedCrd crd) =>
        Schema(crd.FileName["imageoperator.io_".Length..^".yaml".Length]);

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    private static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Select(n => ((YamlScalarNode)n).Value!).ToList();

    // Every field schema below an object: its properties, recursively through items and map values.
    private static IEnumerable<(string Path, YamlMappingNode Field)> Fields(YamlMappingNode schema, string path)
    {
        var children = schema.Children;
        if (children.TryGetValue("properties", out var properties))
        {
            foreach (var (key, value) in ((YamlMappingNode)properties).Children)
            {
                var field = (YamlMappingNode)value;
                yield return ($"{path}.{key}", field);
                foreach (var nested in Fields(field, $"{path}.{key}"))
                {
                    yield return nested;
                }
            }
        }

        foreach (var inner in new[] { "items", "additionalProperties" }.Where(k => children.ContainsKey(k)))
        {
            foreach (var nested in Fields((YamlMappingNode)children[inner], $"{path}[]"))
            {
                yield return nested;
            }
        }
    }

    /// <summary>A type with an undocumented field.</summary>
    private sealed class UndocumentedSpec
    {
        [JsonPropertyName("secret")]
        public string? Secret { get; set; }
    }

    /// <summary>A type whose list map key is optional.</summary>
    private sealed class BadListSpec
    {
        /// <summary>Items keyed by an optional namespace.</summary>
        [JsonPropertyName("items")]
        [ListMapKeys("namespace")]
        public IList<ObjectReference> Items { get; set; } = [];
    }

    /// <summary>An entity whose printer column names a field of another type.</summary>
    [KubernetesEntity(Group = "test.imageoperator.io", ApiVersion = "v1", Kind = "BadColumnEntity", PluralName = "badcolumnentities")]
    [PrinterColumn("Size", PrinterColumnType.Integer, ".spec.size", "Size.")]
    private sealed class BadColumnEntity : ImageOperator.Api.CustomResource<BadColumnSpec>;

    /// <summary>Spec of <see cref="BadColumnEntity"/>.</summary>
    private sealed class BadColumnSpec
    {
        /// <summary>A size written as text.</summary>
        [JsonPropertyName("size")]
        public string? Size { get; set; }
    }

    /// <summary>A type with a default on a required field.</summary>
    private sealed class RequiredWithDefaultSpec
    {
        /// <summary>A mode.</summary>
        [JsonPropertyName("mode")]
        [Required]
        [Default(LaunchMode.Native)]
        public LaunchMode Mode { get; set; }
    }
}
