using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Where an image came from; it decides whether the image may be exported.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageOrigin>))]
public enum ImageOrigin
{
    /// <summary>Built or imported by the user. Exportable.</summary>
    [JsonStringEnumMemberName("Custom")]
    Custom,

    /// <summary>A platform image. Not exportable.</summary>
    [JsonStringEnumMemberName("Platform")]
    Platform,

    /// <summary>A marketplace image. Not exportable.</summary>
    [JsonStringEnumMemberName("Marketplace")]
    Marketplace,

    /// <summary>A custom image created from a marketplace image. Not exportable.</summary>
    [JsonStringEnumMemberName("DerivedFromMarketplace")]
    DerivedFromMarketplace,
}
