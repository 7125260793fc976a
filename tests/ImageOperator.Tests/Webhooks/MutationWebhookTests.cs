using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Runtime.Webhooks;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

/// <summary>The mutators through the whole review path: raw object in, JSON patch out, applied here to check it.</summary>
public sealed class MutationWebhookTests
{
    private const string OciImport = """
        {"apiVersion":"imageoperator.io/v1alpha1","kind":"ImageImport",
         "metadata":{"name":"from-oci","namespace":"team-a","labels":{"a/b~c":"x"}},
         "spec":{"source":{"url":{"url":"https://os.example.com/n/t/b/images/o/ol8.oci"}},"sourceImageType":"OCI",
                 "imageName":"ol8","launchMode":"EMULATED"}}
        """;

    private const string VmdkImport = """
        {"apiVersion":"imageoperator.io/v1alpha1","kind":"ImageImport",
         "metadata":{"name":"from-vmdk","namespace":"team-a"},
         "spec":{"source":{"objectStore":{"bucket":"images","object":"ol8.vmdk"}},"sourceImageType":"VMDK",
                 "imageName":"ol8","operatingSystem":"Oracle Linux","operatingSystemVersion":"8"}}
        """;

    [Fact]
    public async Task The_launch_mode_of_an_oci_import_is_removed_with_a_warning()
    {
        var response = await ReviewAsync(new ImageImportMutator(), "ImageImport", OciImport);

        response.Allowed.Should().BeTrue();
        response.Warnings.Should().Equal(ImageImportMutator.LaunchModeRemovedWarning);
        response.PatchType.Should().Be("JSONPatch");
        Patch(response).Should().Be("""[{"op":"remove","path":"/spec/launchMode"}]""");
        var patched = Apply(OciImport, response);
        patched["spec"]!.AsObject().ContainsKey("launchMode").Should().BeFalse();
        patched["metadata"]!["labels"]!["a/b~c"]!.GetValue<string>().Should().Be("x", "fields the mutator did not touch stay as sent");
    }

    [Fact]
    public async Task A_foreign_disk_gets_the_paravirtualized_default()
    {
        var response = await ReviewAsync(new ImageImportMutator(), "ImageImport", VmdkImport);

        Patch(response).Should().Be("""[{"op":"add","path":"/spec/launchMode","value":"PARAVIRTUALIZED"}]""");
        response.Warnings.Should().BeNull();
    }

    [Fact]
    public async Task An_import_that_needs_no_default_gets_no_patch()
    {
        var response = await ReviewAsync(new ImageImportMutator(), "ImageImport", VmdkImport.Replace("\"imageName\"", "\"launchMode\":\"EMULATED\",\"imageName\"", StringComparison.Ordinal));

        response.Allowed.Should().BeTrue();
        response.Patch.Should().BeNull();
        response.PatchType.Should().BeNull();
    }

    [Fact]
    public async Task A_bucket_level_export_destination_gets_an_object_name()
    {
        const string Export = """
            {"apiVersion":"imageoperator.io/v1alpha1","kind":"ImageExport","metadata":{"name":"e","namespace":"team-a"},
             "spec":{"imageName":"ol8-base","format":"VMDK","destination":{"url":{"url":"https://os.example.com/n/t/b/exports/o/"}}}}
            """;

        var response = await ReviewAsync(new ImageExportMutator(InMemoryAdmissionLookup.WithCatalogue()), "ImageExport", Export);

        Patch(response).Should().Be("""[{"op":"add","path":"/spec/destination/objectName","value":"ol8-base.vmdk"}]""");
        response.Warnings.Should().Equal("spec.destination.objectName: set to 'ol8-base.vmdk' because the url names a bucket but no object");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_denied_naming_its_path()
    {
        var response = await ReviewAsync(new ImageImportMutator(), "ImageImport", VmdkImport.Replace("\"imageName\":\"ol8\"", "\"imageName\":{\"name\":\"ol8\"}", StringComparison.Ordinal));

        response.Allowed.Should().BeFalse();
        response.Status!.Code.Should().Be(400);
        response.Status.Message.Should().Be("the object is not a valid ImageImport: wrong value type at $.spec.imageName");
    }

    [Fact]
    public async Task A_request_without_its_object_is_denied()
    {
        var request = new AdmissionRequest { Uid = "u", Operation = "UPDATE", Object = JsonDocument.Parse(VmdkImport).RootElement };

        var response = await new ImageImportMutator().ReviewAsync(request, CancellationToken.None);

        response.Allowed.Should().BeFalse();
        response.Status!.Message.Should().Be("the UPDATE request carries no object and oldObject");
    }

    [Fact]
    public async Task Connect_and_unknown_operations_are_let_through()
    {
        var response = await new ImageImportMutator().ReviewAsync(new AdmissionRequest { Uid = "u", Operation = "CONNECT" }, CancellationToken.None);

        response.Allowed.Should().BeTrue();
    }

    private static ValueTask<AdmissionResponse> ReviewAsync(IAdmissionWebhook webhook, string kind, string json) =>
        webhook.ReviewAsync(
            new AdmissionRequest
            {
                Uid = "0b0e4a57-1",
                Kind = new GroupVersionKind { Group = "imageoperator.io", Version = "v1alpha1", Kind = kind },
                Operation = "CREATE",
                Namespace = "team-a",
                Object = JsonDocument.Parse(json).RootElement,
            },
            CancellationToken.None);

    private static string Patch(AdmissionResponse response) => Encoding.UTF8.GetString(response.Patch!);

    /// <summary>A minimal RFC 6902 applier for add/remove on object members: enough to check the patches we emit.</summary>
    private static JsonNode Apply(string json, AdmissionResponse response)
    {
        var document = JsonNode.Parse(json)!;
        foreach (var operation in JsonNode.Parse(response.Patch!)!.AsArray())
        {
            var segments = operation!["path"]!.GetValue<string>().Split('/').Skip(1).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            var parent = segments[..^1].Aggregate(document, (node, name) => node[name]!).AsObject();
            if (operation["op"]!.GetValue<string>() == "remove")
            {
                parent.Remove(segments[^1]).Should().BeTrue();
            }
            else
            {
                parent[segments[^1]] = operation["value"]!.DeepClone();
            }
        }

        return document;
    }
}
