using System.Net;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using ImageOperator.Testing;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.IntegrationTests.Webhooks;

/// <summary>
/// The webhooks as users meet them: <c>kubectl apply</c> against the real API server, which calls the in-process
/// webhook server over TLS with the CA bundle the server injected into the configurations.
/// </summary>
[Collection(WebhookCollection.Name)]
public sealed class AdmissionWebhookTests(WebhookServerFixture server)
{
    private static readonly string InvalidSamples = Path.Combine(RepositoryPaths.Samples, "invalid");

    public static TheoryData<string> InvalidSampleFiles()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryPaths.Samples, "invalid"), "*.yaml").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetFileName(file));
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(InvalidSampleFiles))]
    public async Task Each_invalid_sample_is_denied_with_the_webhook_message(string file)
    {
        var manifest = await File.ReadAllTextAsync(Path.Combine(InvalidSamples, file));
        var expected = manifest.Split('\n').Single(l => l.StartsWith("# expect: ", StringComparison.Ordinal))["# expect: ".Length..];

        var result = await server.ApplyAsync(manifest);

        result.Succeeded.Should().BeFalse(result.ToString());
        result.StandardError.Should().Contain("admission webhook").And.Contain("denied the request").And.Contain(expected);
    }

    [Fact]
    public async Task The_valid_samples_are_admitted_and_windows_imports_carry_warnings()
    {
        string[] samples = ["customimage.yaml", "imageimport-objectstore.yaml", "imageimport-url-secret.yaml", "imageexport-vmdk.yaml", "imageexport-oci.yaml"];
        var outputs = new Dictionary<string, ProcessResult>();
        foreach (var sample in samples)
        {
            var result = await server.ApplyAsync(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Samples, sample)));
            result.Succeeded.Should().BeTrue(result.ToString());
            outputs[sample] = result;
        }

        var windows = outputs["imageimport-url-secret.yaml"].StandardError;
        windows.Should().Contain("Warning: spec.operatingSystem: Windows images need the registry value RealTimeIsUniversal")
            .And.Contain("Warning: spec.operatingSystem: a Windows image that is not an official platform image must have been generalized with sysprep")
            .And.Contain("Warning: spec.source: the image is not an official platform image");
        outputs["customimage.yaml"].StandardError.Should().NotContain("Warning: spec.");
        windows.Should().NotContain("REPLACE-WITH-THE-PAR-TOKEN", "the pre-authenticated URL is never echoed");
    }

    [Theory]
    [InlineData("images", "../image-library/images/victim/web/1.qcow2", "spec.source.objectStore.object: the object name has a '..' segment")]
    [InlineData("images", "{ns}/%2e%2e/x.qcow2", "spec.source.objectStore.object: the object name contains the percent-encoded character '%2e'")]
    [InlineData(WebhookServerFixture.LibraryBucket, "images/victim/web/1.qcow2", "spec.source.objectStore: bucket 'image-library' of store 'default' is the operator's image library: no import may read it")]
    [InlineData("images", "victim/web.qcow2", "spec.source.objectStore: namespace '{ns}' may not read object 'victim/web.qcow2' in bucket 'images' of store 'default' with the operator's keys: its grants to read there cover images/{ns}/*, image-exports/{ns}/*")]
    public async Task Kubectl_apply_of_an_import_that_breaks_tenancy_is_refused_naming_the_rule(string bucket, string key, string expected)
    {
        var ns = server.TenantNamespace;

        var result = await server.ApplyAsync(ImportFrom(bucket, key.Replace("{ns}", ns, StringComparison.Ordinal)), ns);

        result.Succeeded.Should().BeFalse(result.ToString());
        result.StandardError.Should().Contain("denied the request").And.Contain(expected.Replace("{ns}", ns, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kubectl_apply_of_an_export_onto_the_library_is_refused_and_one_under_the_own_prefix_admitted()
    {
        var ns = server.TenantNamespace;

        var overwrite = await server.ApplyAsync(ExportTo("overwrite", WebhookServerFixture.LibraryBucket, "images/victim/web/1.qcow2"), ns);
        var own = await server.ApplyAsync(ExportTo("own", "image-exports", $"{ns}/web.qcow2"), ns);
        var imported = await server.ApplyAsync(ImportFrom("images", $"{ns}/web.qcow2"), ns);

        overwrite.Succeeded.Should().BeFalse(overwrite.ToString());
        overwrite.StandardError.Should().Contain("spec.destination.objectStore: bucket 'image-library' of store 'default' is the operator's image library: no export may write it");
        own.Succeeded.Should().BeTrue(own.ToString());
        imported.Succeeded.Should().BeTrue(imported.ToString());
    }

    [Fact]
    public async Task An_oversized_display_name_is_refused_by_the_schema_naming_the_field_not_by_a_413()
    {
        var import = ImportNamed("huge-name", "team/x.qcow2", new string('x', 1024 * 1024));

        var result = await server.ApplyAsync(import);

        result.Succeeded.Should().BeFalse(result.ToString());
        result.StandardError.Should().Contain("spec.displayName").And.Contain("255").And.NotContain("failed calling webhook");
    }

    [Fact]
    public async Task Ten_thousand_tags_are_refused_by_the_schema_naming_the_field()
    {
        var tags = string.Join(", ", Enumerable.Range(0, 10_000).Select(i => $"k{i}: v"));
        var image = $$"""
            apiVersion: imageoperator.io/v1alpha1
            kind: CustomImage
            metadata: {name: many-tags}
            spec:
              operatingSystem: Oracle Linux
              operatingSystemVersion: "8.9"
              launchMode: PARAVIRTUALIZED
              freeformTags: {{{tags}}}
            """;

        var result = await server.ApplyAsync(image);

        result.Succeeded.Should().BeFalse(result.ToString());
        result.StandardError.Should().Contain("spec.freeformTags").And.Contain("64").And.NotContain("failed calling webhook");
    }

    [Fact]
    public async Task Terminal_escapes_and_bidi_overrides_are_refused_through_kubectl()
    {
        var result = await server.ApplyAsync(ImportNamed("escapes", "team/x.qcow2", """ "web\e]0;owned\a" """));
        var bidi = await server.ApplyAsync(ImportNamed("bidi", "team/x.qcow2", """ "invoice\u202Efdp.exe" """));

        result.Succeeded.Should().BeFalse(result.ToString());
        result.StandardError.Should().Contain("spec.displayName: contains the control character U+001B");
        bidi.Succeeded.Should().BeFalse(bidi.ToString());
        bidi.StandardError.Should().Contain("spec.displayName: contains the bidirectional override U+202E");
    }

    [Fact]
    public async Task An_oversized_review_gets_an_answer_naming_the_problem()
    {
        using var client = server.CreateHttpClient();
        var review = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"big-1",
             "kind":{"group":"imageoperator.io","version":"v1alpha1","kind":"ImageImport"},"operation":"CREATE","namespace":"team-a",
             "object":{"spec":{"displayName":"
            """ + new string('x', 1200 * 1024) + "\"}}}}";

        var validated = await client.PostAsync(WebhookRegistration.ValidateImageImportPath, Json(review));
        var mutated = await client.PostAsync(WebhookRegistration.MutateImageImportPath, Json(review));

        validated.StatusCode.Should().Be(HttpStatusCode.OK);
        using var denial = JsonDocument.Parse(await validated.Content.ReadAsStringAsync());
        var response = denial.RootElement.GetProperty("response");
        response.GetProperty("uid").GetString().Should().Be("big-1");
        response.GetProperty("allowed").GetBoolean().Should().BeFalse();
        response.GetProperty("status").GetProperty("code").GetInt32().Should().Be(413);
        response.GetProperty("status").GetProperty("message").GetString().Should().Contain("larger than the 1024 KiB").And.Contain("kubectl explain imageimport.spec");
        using var allowed = JsonDocument.Parse(await mutated.Content.ReadAsStringAsync());
        allowed.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean().Should().BeTrue("the schema refuses it next, naming the field");
    }

    [Fact]
    public async Task The_mutating_webhook_removes_an_oci_launch_mode_and_defaults_foreign_disks_to_paravirtualized()
    {
        var oci = await server.ApplyAsync("""
            apiVersion: imageoperator.io/v1alpha1
            kind: ImageImport
            metadata: {name: from-oci}
            spec:
              source: {objectStore: {bucket: images, object: ol8.oci}}
              sourceImageType: OCI
              imageName: ol8-from-oci
              launchMode: EMULATED
            """);
        var vmdk = await server.ApplyAsync("""
            apiVersion: imageoperator.io/v1alpha1
            kind: ImageImport
            metadata: {name: from-vmdk}
            spec:
              source: {objectStore: {bucket: images, object: ol7.vmdk}}
              sourceImageType: VMDK
              imageName: ol7-from-vmdk
              operatingSystem: Oracle Linux
              operatingSystemVersion: "7.9"
            """);

        oci.Succeeded.Should().BeTrue(oci.ToString());
        oci.StandardError.Should().Contain("Warning: " + ImageImportMutator.LaunchModeRemovedWarning);
        (await LaunchModeAsync("from-oci")).Should().BeEmpty();
        vmdk.Succeeded.Should().BeTrue(vmdk.ToString());
        (await LaunchModeAsync("from-vmdk")).Should().Be("PARAVIRTUALIZED");
    }

    [Fact]
    public async Task The_source_of_an_import_cannot_change_but_its_display_name_can()
    {
        (await server.ApplyAsync(ImportNamed("editable", "images/a.qcow2", "Before"))).EnsureSuccess();

        var renamed = await server.ApplyAsync(ImportNamed("editable", "images/a.qcow2", "After"));
        var moved = await server.ApplyAsync(ImportNamed("editable", "images/b.qcow2", "After"));

        renamed.Succeeded.Should().BeTrue(renamed.ToString());
        moved.Succeeded.Should().BeFalse();
        moved.StandardError.Should().Contain("spec.source: is immutable: an import reads its source once");
    }

    [Fact]
    public async Task An_image_cannot_be_deleted_while_an_export_of_it_runs()
    {
        (await server.ApplyAsync("""
            apiVersion: imageoperator.io/v1alpha1
            kind: CustomImage
            metadata: {name: busy}
            spec: {operatingSystem: Ubuntu, operatingSystemVersion: "20.04", launchMode: PARAVIRTUALIZED}
            ---
            apiVersion: imageoperator.io/v1alpha1
            kind: ImageExport
            metadata: {name: busy-backup}
            spec:
              imageName: busy
              format: QCOW2
              destination: {objectStore: {bucket: image-exports, object: busy.qcow2}}
            """)).EnsureSuccess();

        var denied = await server.ControlPlane.KubectlAsync("delete", "customimage", "busy", "-n", server.Namespace, "--wait=false");
        (await server.ControlPlane.KubectlAsync("delete", "imageexport", "busy-backup", "-n", server.Namespace)).EnsureSuccess();
        var allowed = await server.ControlPlane.KubectlAsync("delete", "customimage", "busy", "-n", server.Namespace, "--wait=false");

        denied.Succeeded.Should().BeFalse();
        denied.StandardError.Should().Contain("CustomImage 'busy' cannot be deleted while it is being exported (ImageExport busy-backup)");
        allowed.Succeeded.Should().BeTrue(allowed.ToString());
    }

    [Fact]
    public async Task Malformed_reviews_get_a_4xx_and_the_server_keeps_answering()
    {
        using var client = server.CreateHttpClient();
        const string Path = WebhookRegistration.ValidateCustomImagePath;

        var garbage = await client.PostAsync(Path, new StringContent("{\"apiVersion\": [not json", Encoding.UTF8, "application/json"));
        var huge = await client.PostAsync(Path, new ByteArrayContent(new byte[3 * 1024 * 1024]));
        var notAReview = await client.PostAsync(Path, Json("""{"apiVersion":"v1","kind":"Pod"}"""));
        var noRequest = await client.PostAsync(Path, Json("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"""));
        var wrongKind = await client.PostAsync(Path, Json(Review("Pod", "")));
        var wrongMethod = await client.GetAsync(Path);
        var valid = await client.PostAsync(Path, Json(Review("CustomImage", "imageoperator.io")));

        garbage.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        huge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        notAReview.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        noRequest.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        wrongKind.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await wrongKind.Content.ReadAsStringAsync()).Should().Contain("this endpoint admits CustomImage.imageoperator.io, not Pod.");
        ((int)wrongMethod.StatusCode).Should().BeInRange(400, 499);
        valid.StatusCode.Should().Be(HttpStatusCode.OK);
        valid.Headers.GetValues("Server-Timing").Single().Should().StartWith("admission;dur=");
        using var answer = JsonDocument.Parse(await valid.Content.ReadAsStringAsync());
        answer.RootElement.GetProperty("response").GetProperty("uid").GetString().Should().Be("review-1");
        answer.RootElement.GetProperty("response").GetProperty("allowed").GetBoolean().Should().BeTrue();
    }

    private static string ImportNamed(string name, string objectKey, string displayName) => $$$"""
        apiVersion: imageoperator.io/v1alpha1
        kind: ImageImport
        metadata: {name: {{{name}}}}
        spec:
          source: {objectStore: {bucket: images, object: {{{objectKey}}}}}
          sourceImageType: QCOW2
          imageName: {{{name}}}
          displayName: {{{displayName}}}
          operatingSystem: Oracle Linux
          operatingSystemVersion: "8"
        """;

    private static string ImportFrom(string bucket, string key) => $$$"""
        apiVersion: imageoperator.io/v1alpha1
        kind: ImageImport
        metadata: {name: tenancy-{{{Guid.NewGuid().ToString("N")[..8]}}}}
        spec:
          source: {objectStore: {bucket: {{{bucket}}}, object: "{{{key}}}"}}
          sourceImageType: QCOW2
          imageName: stolen-{{{Guid.NewGuid().ToString("N")[..8]}}}
          operatingSystem: Oracle Linux
          operatingSystemVersion: "8"
        """;

    private static string ExportTo(string name, string bucket, string key) => $$$"""
        apiVersion: imageoperator.io/v1alpha1
        kind: ImageExport
        metadata: {name: {{{name}}}}
        spec:
          imageName: web
          format: QCOW2
          destination: {objectStore: {bucket: {{{bucket}}}, object: "{{{key}}}"}}
        """;

    private static string Review(string kind, string group) => $$$"""
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"review-1",
         "kind":{"group":"{{{group}}}","version":"v1alpha1","kind":"{{{kind}}}"},"operation":"CREATE","namespace":"team-a",
         "object":{"apiVersion":"imageoperator.io/v1alpha1","kind":"CustomImage","metadata":{"name":"ok"},
                   "spec":{"operatingSystem":"Ubuntu","operatingSystemVersion":"22.04","launchMode":"PARAVIRTUALIZED"} } } }
        """;

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private async Task<string> LaunchModeAsync(string import) =>
        (await server.ControlPlane.KubectlAsync("get", "imageimport", import, "-n", server.Namespace, "-o", "jsonpath={.spec.launchMode}")).EnsureSuccess().StandardOutput.Trim();
}
