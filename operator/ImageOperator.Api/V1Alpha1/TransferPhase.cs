using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Phase of an import.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImportPhase>))]
public enum ImportPhase
{
    /// <summary>Accepted, not started yet.</summary>
    [JsonStringEnumMemberName("Pending")]
    Pending,

    /// <summary>Reading, checking and converting the source.</summary>
    [JsonStringEnumMemberName("Importing")]
    Importing,

    /// <summary>The custom image exists and is available.</summary>
    [JsonStringEnumMemberName("Succeeded")]
    Succeeded,

    /// <summary>The import stopped; the Failed condition's reason and message say why.</summary>
    [JsonStringEnumMemberName("Failed")]
    Failed,
}

/// <summary>Phase of an export.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExportPhase>))]
public enum ExportPhase
{
    /// <summary>Accepted, not started yet.</summary>
    [JsonStringEnumMemberName("Pending")]
    Pending,

    /// <summary>Converting and writing the object.</summary>
    [JsonStringEnumMemberName("Exporting")]
    Exporting,

    /// <summary>The object is at the destination and its size and checksum were verified.</summary>
    [JsonStringEnumMemberName("Succeeded")]
    Succeeded,

    /// <summary>The export stopped; the Failed condition's reason and message say why.</summary>
    [JsonStringEnumMemberName("Failed")]
    Failed,
}
