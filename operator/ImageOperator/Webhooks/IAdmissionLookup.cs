using ImageOperator.Api.V1Alpha1;

namespace ImageOperator.Webhooks;

/// <summary>What a Secret lookup found for a key.</summary>
/// <param name="SecretExists">Whether the Secret exists.</param>
/// <param name="Value">The key's value (UTF-8), or null when the Secret or key is missing. Never echo it.</param>
public sealed record SecretValue(bool SecretExists, string? Value);

/// <summary>
/// The cluster state the admission rules consult, kept behind an interface so that the rules stay pure and are
/// tested without an API server.
/// </summary>
public interface IAdmissionLookup
{
    /// <summary>The ComputeShape named <paramref name="name"/>, or null when the catalogue has none.</summary>
    ValueTask<ComputeShape?> FindShapeAsync(string name, CancellationToken cancellationToken);

    /// <summary>The CustomImage <paramref name="namespace"/>/<paramref name="name"/>, or null.</summary>
    ValueTask<CustomImage?> FindImageAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>The value of <paramref name="key"/> in Secret <paramref name="namespace"/>/<paramref name="name"/>.</summary>
    ValueTask<SecretValue> FindSecretValueAsync(string @namespace, string name, string key, CancellationToken cancellationToken);

    /// <summary>Names of the ImageExports of <paramref name="imageName"/> in <paramref name="namespace"/> that have not finished.</summary>
    ValueTask<IReadOnlyList<string>> FindRunningExportsAsync(string @namespace, string imageName, CancellationToken cancellationToken);
}
