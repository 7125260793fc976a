using System.Text.Json.Nodes;
using FluentAssertions;
using ImageOperator.Testing;
using Minio;
using Minio.DataModel.Args;

namespace ImageOperator.ClusterTests;

/// <summary>
/// One Helm release of the operator in the cluster, in a namespace of its own, installed from the repository's chart
/// with the image built for the tests and the cluster's S3 server; plus what the tests do with it (imports, exports,
/// waiting on status) through kubectl and the Minio SDK.
/// </summary>
public sealed class OperatorRelease(ClusterFixture cluster, string name)
{
    /// <summary>The buckets of the chart's default grant (every namespace under its own prefix).</summary>
    public const string ImagesBucket = "images";

    /// <summary>The export bucket of the chart's default grant.</summary>
    public const string ExportsBucket = "image-exports";

    /// <summary>The chart's default library bucket, where imported disks are stored.</summary>
    public const string LibraryBucket = "image-library";

    private static readonly TimeSpan HelmTimeout = TimeSpan.FromMinutes(6);

    /// <summary>The release's name.</summary>
    public string Name { get; } = name;

    /// <summary>The namespace the release is installed in.</summary>
    public string Namespace { get; } = $"{name}-system";

    /// <summary>
    /// The values a user types for this cluster: the image built here (never pulled), and the default store's
    /// endpoint and keys. objectStores is a list, which Helm replaces as a whole, so the default grant is repeated.
    /// </summary>
    public string Values(string extra = "") => $$"""
        image: {repository: {{ClusterFixture.ImageRepository}}, tag: {{ClusterFixture.ImageTag}}, pullPolicy: Never}
        objectStores:
        - name: default
          endpoint: {{cluster.ClusterS3Endpoint}}
          region: us-east-1
          credentialsSecret: {name: image-operator-s3, create: true, accessKey: {{cluster.S3AccessKey}}, secretKey: {{cluster.S3SecretKey}}}
          grants:
          - {namespaces: ["*"], buckets: [{{ImagesBucket}}, {{ExportsBucket}}], prefix: "{namespace}/", access: ReadWrite}
        {{extra}}
        """;

    /// <summary><c>helm install --wait</c> (or <c>upgrade --install</c>) with <see cref="Values"/>.</summary>
    public Task<ProcessResult> InstallAsync(string extraValues = "") => HelmWithValuesAsync("install", extraValues, "--create-namespace");

    /// <summary><c>helm upgrade --wait</c> with <see cref="Values"/>.</summary>
    public Task<ProcessResult> UpgradeAsync(string extraValues = "") => HelmWithValuesAsync("upgrade", extraValues);

    /// <summary>Runs helm on this release's namespace; the command must succeed.</summary>
    public async Task<ProcessResult> HelmAsync(params string[] arguments) =>
        (await cluster.HelmAsync(HelmTimeout, [.. arguments, "--namespace", Namespace])).EnsureSuccess();

    /// <summary>Runs kubectl in <paramref name="ns"/>; the command must succeed.</summary>
    public async Task<ProcessResult> KubectlAsync(string ns, params string[] arguments) =>
        (await cluster.KubectlAsync(["--namespace", ns, .. arguments])).EnsureSuccess();

    /// <summary>Applies a manifest in <paramref name="ns"/>; returns kubectl's result, success or not.</summary>
    public Task<ProcessResult> ApplyAsync(string ns, string manifest) =>
        cluster.KubectlWithInputAsync(manifest, "--namespace", ns, "apply", "-f", "-");

    /// <summary>The release's pods as kubectl prints them (JSON items).</summary>
    public async Task<IReadOnlyList<JsonNode>> PodsAsync()
    {
        var result = await KubectlAsync(Namespace, "get", "pods", "-l", $"app.kubernetes.io/instance={Name}", "-o", "json");
        return [.. JsonNode.Parse(result.StandardOutput)!["items"]!.AsArray().Select(item => item!)];
    }

    /// <summary>Waits until the release runs <paramref name="replicas"/> Ready pods, all of the current revision.</summary>
    public async Task WaitForRolloutAsync(int replicas = 2)
    {
        await KubectlAsync(Namespace, "rollout", "status", $"deployment/{Name}", "--timeout=300s");
        await Eventually.HoldsAsync(async () =>
        {
            var pods = await PodsAsync();
            var ready = pods.Where(pod => pod["metadata"]!["deletionTimestamp"] is null && IsReady(pod)).ToList();
            return ready.Count == replicas && pods.Count == replicas;
        }, $"{replicas} Ready pods of release {Name} and no others", TimeSpan.FromMinutes(2));
    }

    /// <summary>The pod that holds the leader lease (its holder identity starts with the pod's host name).</summary>
    public async Task<string> LeaderPodAsync()
    {
        string? leader = null;
        await Eventually.HoldsAsync(async () =>
        {
            var holder = (await KubectlAsync(Namespace, "get", "lease", $"{Name}-leader", "-o", "jsonpath={.spec.holderIdentity}")).StandardOutput;
            var pods = (await PodsAsync()).Where(pod => pod["metadata"]!["deletionTimestamp"] is null)
                .Select(pod => pod["metadata"]!["name"]!.GetValue<string>());
            leader = pods.FirstOrDefault(pod => holder.StartsWith(pod + "_", StringComparison.Ordinal));
            return leader is not null;
        }, $"a live pod of release {Name} holding the lease", TimeSpan.FromMinutes(2));
        return leader!;
    }

    /// <summary>Creates a namespace for the tenant objects of a test.</summary>
    public async Task<string> CreateTenantAsync(string tenant)
    {
        await KubectlAsync("default", "create", "namespace", tenant);
        return tenant;
    }

    /// <summary>Creates a bucket on the S3 server (through its bridge) unless it exists.</summary>
    public async Task EnsureBucketAsync(string bucket)
    {
        if (!await cluster.S3.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket)))
        {
            await cluster.S3.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
        }
    }

    /// <summary>Uploads a file, creating the bucket when missing.</summary>
    public async Task UploadAsync(string bucket, string key, string path)
    {
        await EnsureBucketAsync(bucket);
        await cluster.S3.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject(key).WithFileName(path).WithContentType("application/octet-stream"));
    }

    /// <summary>Downloads an object to a file.</summary>
    public Task DownloadAsync(string bucket, string key, string path) =>
        cluster.S3.GetObjectAsync(new GetObjectArgs().WithBucket(bucket).WithObject(key).WithFile(path));

    /// <summary>The object names under a prefix.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string bucket, string prefix)
    {
        var names = new List<string>();
        await foreach (var item in cluster.S3.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true)))
        {
            names.Add(item.Key);
        }

        return names;
    }

    /// <summary>Multipart uploads started and neither completed nor aborted, under a prefix.</summary>
    public async Task<IReadOnlyList<string>> IncompleteUploadsAsync(string bucket, string prefix)
    {
        var uploads = new List<string>();
        await foreach (var upload in cluster.S3.ListIncompleteUploadsEnumAsync(new ListIncompleteUploadsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true)))
        {
            uploads.Add(upload.Key);
        }

        return uploads;
    }

    /// <summary>Applies an ImageImport of a QCOW2 object of bucket <see cref="ImagesBucket"/>.</summary>
    public async Task StartImportAsync(string tenant, string imageName, string sourceKey) =>
        (await ApplyAsync(tenant, $$"""
            apiVersion: imageoperator.io/v1alpha1
            kind: ImageImport
            metadata: {name: {{imageName}}}
            spec:
              source: {objectStore: {bucket: {{ImagesBucket}}, object: {{sourceKey}}} }
              sourceImageType: QCOW2
              imageName: {{imageName}}
              operatingSystem: Oracle Linux
              operatingSystemVersion: "8.9"
            """)).EnsureSuccess();

    /// <summary>Applies an ImageExport of an image to bucket <see cref="ExportsBucket"/>, which it creates first.</summary>
    public async Task StartExportAsync(string tenant, string name, string imageName, string format, string key)
    {
        await EnsureBucketAsync(ExportsBucket);
        (await ApplyAsync(tenant, $$"""
            apiVersion: imageoperator.io/v1alpha1
            kind: ImageExport
            metadata: {name: {{name}}}
            spec:
              imageName: {{imageName}}
              format: {{format}}
              destination: {objectStore: {bucket: {{ExportsBucket}}, object: {{key}}} }
            """)).EnsureSuccess();
    }

    /// <summary>Reads one object as JSON.</summary>
    public async Task<JsonNode> GetAsync(string ns, string resource, string name) =>
        JsonNode.Parse((await KubectlAsync(ns, "get", resource, name, "-o", "json")).StandardOutput)!;

    /// <summary>Waits until <c>.status.phase</c> (or another status field) of an object has the expected value.</summary>
    public async Task<JsonNode> WaitForStatusAsync(string ns, string resource, string name, string field, string expected, TimeSpan timeout)
    {
        JsonNode? last = null;
        await Eventually.HoldsAsync(async () =>
        {
            var result = await cluster.KubectlAsync("--namespace", ns, "get", resource, name, "-o", "json");
            if (!result.Succeeded)
            {
                return false;
            }

            last = JsonNode.Parse(result.StandardOutput);
            var value = last?["status"]?[field]?.ToString();
            value.Should().NotBe("Failed", $"{resource} {ns}/{name} failed: {last?["status"]?.ToJsonString()}");
            return value == expected;
        }, $"{resource} {ns}/{name} with status.{field} {expected}", timeout);
        return last!;
    }

    /// <summary>Deletes a tenant namespace; first lifts the finalizers of images no operator will process any more.</summary>
    public async Task DeleteTenantAsync(string tenant, bool operatorGone = false)
    {
        if (operatorGone)
        {
            var names = (await KubectlAsync(tenant, "get", "customimages", "-o", "name")).StandardOutput
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var image in names)
            {
                await KubectlAsync(tenant, "patch", image, "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
            }
        }

        await KubectlAsync("default", "delete", "namespace", tenant, "--wait=true", "--timeout=180s");
    }

    /// <summary><c>helm uninstall --wait</c> and the release's namespace deleted.</summary>
    public async Task UninstallAsync()
    {
        await HelmAsync("uninstall", Name, "--wait", "--timeout", "180s");
        await KubectlAsync("default", "delete", "namespace", Namespace, "--wait=true", "--timeout=180s");
    }

    private static bool IsReady(JsonNode pod) =>
        pod["status"]?["conditions"]?.AsArray().Any(condition =>
            condition?["type"]?.GetValue<string>() == "Ready" && condition["status"]?.GetValue<string>() == "True") == true;

    private async Task<ProcessResult> HelmWithValuesAsync(string command, string extraValues, params string[] options)
    {
        var valuesFile = Path.Combine(cluster.StateDirectory, $"{Name}-values.yaml");
        await File.WriteAllTextAsync(valuesFile, Values(extraValues));
        return await HelmAsync([command, Name, RepositoryPaths.Chart, "--values", valuesFile, "--wait", "--timeout", "300s", .. options]);
    }
}
