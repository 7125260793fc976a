using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Testing;
using Xunit;

namespace ImageOperator.ClusterTests;

/// <summary><c>kubectl apply -k config/default</c> (kubectl 1.35's kustomize) installs a working operator too.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KustomizeInstallTests(ClusterFixture cluster)
{
    private const string OperatorNamespace = "image-operator-system";
    private const string Deployment = "image-operator-controller-manager";

    [Fact]
    public async Task An_overlay_of_config_default_installs_an_operator_that_imports_a_disk()
    {
        var overlay = await WriteOverlayAsync();
        var release = new OperatorRelease(cluster, "kustomize");
        await release.KubectlAsync("default", "create", "namespace", OperatorNamespace);
        await release.KubectlAsync(OperatorNamespace, "create", "secret", "generic", "image-operator-s3",
            $"--from-literal=accessKey={cluster.S3AccessKey}", $"--from-literal=secretKey={cluster.S3SecretKey}");
        var tenant = "kustomize-tenant";
        try
        {
            await release.KubectlAsync(OperatorNamespace, "apply", "-k", overlay);
            await release.KubectlAsync(OperatorNamespace, "rollout", "status", $"deployment/{Deployment}", "--timeout=300s");
            await release.CreateTenantAsync(tenant);
            var source = await TestDisks.CreateAsync(Path.Combine(cluster.StateDirectory, "disks", "kustomize"), "source", 64);
            await release.UploadAsync(OperatorRelease.ImagesBucket, $"{tenant}/source.qcow2", source);

            await Eventually.HoldsAsync(async () => (await release.ApplyAsync(tenant, Import(tenant))).Succeeded,
                "the webhooks to admit the import", TimeSpan.FromMinutes(2));
            var image = await release.WaitForStatusAsync(tenant, "customimage", "kustomized", "lifecycleState", "Available", TimeSpan.FromMinutes(3));

            image["status"]!["storedDisk"]!["virtualSizeBytes"]!.GetValue<long>().Should().Be(64L << 20);
            var deployment = JsonNode.Parse((await release.KubectlAsync(OperatorNamespace, "get", "deployment", Deployment, "-o", "json")).StandardOutput)!;
            deployment["status"]!["readyReplicas"]!.GetValue<int>().Should().Be(deployment["spec"]!["replicas"]!.GetValue<int>());
        }
        finally
        {
            await cluster.KubectlAsync("delete", "namespace", tenant, "--ignore-not-found", "--wait=true", "--timeout=180s");
            await release.KubectlAsync(OperatorNamespace, "delete", "-k", overlay, "--ignore-not-found", "--wait=true", "--timeout=180s");
            await release.KubectlAsync("default", "delete", "namespace", OperatorNamespace, "--ignore-not-found", "--wait=true", "--timeout=180s");
        }
    }

    private static string Import(string tenant) => $$"""
        apiVersion: imageoperator.io/v1alpha1
        kind: ImageImport
        metadata: {name: kustomized}
        spec:
          source: {objectStore: {bucket: {{OperatorRelease.ImagesBucket}}, object: {{tenant}}/source.qcow2} }
          sourceImageType: QCOW2
          imageName: kustomized
          operatingSystem: Oracle Linux
          operatingSystemVersion: "8.9"
        """;

    /// <summary>
    /// What a user writes beside config/default: the image built here, and the configuration file with this
    /// cluster's S3 endpoint (kustomize takes bases by relative path only).
    /// </summary>
    private async Task<string> WriteOverlayAsync()
    {
        var overlay = Path.Combine(cluster.StateDirectory, "kustomize-overlay");
        Directory.CreateDirectory(overlay);
        var config = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "config", "manager", "config.yaml"));
        var configData = System.Text.RegularExpressions.Regex.Match(config, @"config\.yaml: \|\n(?<body>(    .*\n?)+)").Groups["body"].Value;
        configData.Should().Contain("http://minio.minio.svc:9000");
        await File.WriteAllTextAsync(Path.Combine(overlay, "config-patch.yaml"), $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: image-operator-config, namespace: {{OperatorNamespace}}}
            data:
              config.yaml: |
            {{configData.Replace("http://minio.minio.svc:9000", cluster.ClusterS3Endpoint, StringComparison.Ordinal)}}
            """);
        var defaultConfig = Path.GetRelativePath(overlay, Path.Combine(RepositoryPaths.Root, "config", "default"));
        await File.WriteAllTextAsync(Path.Combine(overlay, "kustomization.yaml"), $$"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
            - {{defaultConfig}}
            images:
            - {name: ghcr.io/imageoperator/image-operator, newName: {{ClusterFixture.ImageRepository}}, newTag: {{ClusterFixture.ImageTag}}}
            patches:
            - path: config-patch.yaml
            """);
        return overlay;
    }
}
