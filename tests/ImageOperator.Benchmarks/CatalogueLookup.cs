using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using k8s;

namespace ImageOperator.Benchmarks;

/// <summary>
/// The lookups as the operator serves them in steady state: shapes from memory (the informer cache), loaded here
/// from the sample catalogue; no image, Secret or export exists.
/// </summary>
internal sealed class CatalogueLookup(IReadOnlyDictionary<string, ComputeShape> shapes) : IAdmissionLookup
{
    public static CatalogueLookup Load(string shapesYaml) =>
        new(KubernetesYaml.LoadAllFromString(File.ReadAllText(shapesYaml), new Dictionary<string, Type> { ["imageoperator.io/v1alpha1/ComputeShape"] = typeof(ComputeShape) })
            .OfType<ComputeShape>()
            .ToDictionary(s => s.Metadata.Name, StringComparer.Ordinal));

    public ValueTask<ComputeShape?> FindShapeAsync(string name, CancellationToken cancellationToken) => ValueTask.FromResult(shapes.GetValueOrDefault(name));

    public ValueTask<CustomImage?> FindImageAsync(string @namespace, string name, CancellationToken cancellationToken) => ValueTask.FromResult<CustomImage?>(null);

    public ValueTask<SecretValue> FindSecretValueAsync(string @namespace, string name, string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new SecretValue(false, null));

    public ValueTask<IReadOnlyList<string>> FindRunningExportsAsync(string @namespace, string imageName, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>([]);
}
