using System.Text;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Runtime.Entities;
using ImageOperator.Runtime.Informers;
using k8s;

namespace ImageOperator.Webhooks;

/// <summary>
/// <see cref="IAdmissionLookup"/> against the API server. ComputeShapes, read on almost every admission, come from
/// an informer cache (<see cref="ShapeCache"/>) once it has synced; images, exports and Secrets are read directly
/// because admission must see the latest state of the object it decides on.
/// </summary>
/// <param name="kubernetes">The Kubernetes client.</param>
/// <param name="shapes">The shape cache.</param>
public sealed class ClusterAdmissionLookup(IKubernetes kubernetes, ShapeCache shapes) : IAdmissionLookup
{
    private readonly EntityClient<CustomImage> images = new(kubernetes);
    private readonly EntityClient<ImageExport> exports = new(kubernetes);
    private readonly EntityClient<ComputeShape> shapeClient = new(kubernetes);

    /// <inheritdoc />
    public async ValueTask<ComputeShape?> FindShapeAsync(string name, CancellationToken cancellationToken)
    {
        // A miss is confirmed with the API server: a shape created a moment ago may not have reached the cache.
        if (shapes.HasSynced && shapes.Get(name) is { } cached)
        {
            return cached;
        }

        return await shapeClient.GetAsync(name, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<CustomImage?> FindImageAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        await images.GetAsync(name, @namespace, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<SecretValue> FindSecretValueAsync(string @namespace, string name, string key, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return secret.Data?.TryGetValue(key, out var bytes) == true
                ? new SecretValue(true, Encoding.UTF8.GetString(bytes))
                : new SecretValue(true, null);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return new SecretValue(false, null);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> FindRunningExportsAsync(string @namespace, string imageName, CancellationToken cancellationToken)
    {
        var list = await exports.ListAsync(@namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. list.Items
            .Where(e => e.Spec.ImageName == imageName && e.Status.Phase is not (ExportPhase.Succeeded or ExportPhase.Failed))
            .Select(e => e.Metadata.Name)];
    }
}

/// <summary>
/// An informer-backed cache of the ComputeShape catalogue, run on every replica (webhooks serve on all of them,
/// not only on the leader).
/// </summary>
public sealed class ShapeCache : BackgroundService
{
    private readonly EntityInformer<ComputeShape> informer;

    /// <summary>Creates the cache; it fills once the host starts it.</summary>
    public ShapeCache(IKubernetes kubernetes, ILogger<ShapeCache> logger)
    {
        informer = new EntityInformer<ComputeShape>(
            new EntityClient<ComputeShape>(kubernetes),
            new InformerOptions { ResyncPeriod = TimeSpan.Zero },
            static (_, _) => { },
            logger);
    }

    /// <summary>Whether the cache holds the whole catalogue.</summary>
    public bool HasSynced => informer.HasSynced;

    /// <summary>The cached shape named <paramref name="name"/>, or null.</summary>
    public ComputeShape? Get(string name) => informer.Store.Get(new ObjectKey(null, name));

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => informer.RunAsync(stoppingToken);
}
