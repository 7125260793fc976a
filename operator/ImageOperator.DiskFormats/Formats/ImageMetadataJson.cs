using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageOperator.DiskFormats.Formats;

/// <summary>
/// The JSON form of <see cref="ImageMetadata"/> (camelCase, nulls left out, source-generated), shared by the
/// <c>.oci</c> metadata entry and the QCOW2 "IMOP" header extension, by readers and writers alike.
/// </summary>
internal static class ImageMetadataJson
{
    /// <summary>UTF-8 JSON of <paramref name="metadata"/>.</summary>
    public static byte[] Serialize(ImageMetadata metadata) =>
        JsonSerializer.SerializeToUtf8Bytes(metadata, ImageMetadataJsonContext.Default.ImageMetadata);

    /// <summary>Parses untrusted metadata; <paramref name="where"/> names the entry or extension in the error.</summary>
    /// <exception cref="DiskImageException">The document is not valid metadata (<see cref="ImageProblem.Malformed"/>).</exception>
    public static ImageMetadata Deserialize(ReadOnlySpan<byte> utf8Json, string where)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, ImageMetadataJsonContext.Default.ImageMetadata)
                ?? throw new DiskImageException(ImageProblem.Malformed, $"the image metadata in {where} is null");
        }
        catch (JsonException e)
        {
            throw new DiskImageException(ImageProblem.Malformed, $"the image metadata in {where} is not valid: {e.Message}", e);
        }
    }
}

/// <summary>Source-generated serializer of the metadata document.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 8)]
[JsonSerializable(typeof(ImageMetadata))]
internal sealed partial class ImageMetadataJsonContext : JsonSerializerContext;
