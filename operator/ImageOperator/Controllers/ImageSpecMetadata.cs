using System.Text.Json;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.DiskFormats;

namespace ImageOperator.Controllers;

/// <summary>
/// Maps a CustomImage's descriptive fields to and from the <see cref="ImageMetadata"/> that travels inside
/// <c>.oci</c> files, QCOW2 images written by the engine and export manifests (as the API's JSON spellings).
/// </summary>
public static class ImageSpecMetadata
{
    /// <summary>What <see cref="ImageMetadata.ExportedBy"/> says in images this platform exports.</summary>
    public const string ThisPlatform = "imageoperator.io";

    /// <summary>The metadata of <paramref name="image"/>, marked as exported by this platform.</summary>
    public static ImageMetadata ForExport(CustomImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var spec = image.Spec;
        return new ImageMetadata
        {
            DisplayName = spec.DisplayName ?? image.Metadata.Name,
            OperatingSystem = Text(spec.OperatingSystem),
            OperatingSystemVersion = spec.OperatingSystemVersion,
            LaunchMode = Text(spec.LaunchMode),
            Architecture = Text(spec.Architecture),
            ShapeCompatibilities = ToMetadata(spec.ShapeCompatibilities),
            ExportedBy = ThisPlatform,
        };
    }

    /// <summary>Shape compatibilities as the engine's metadata carries them.</summary>
    public static IReadOnlyList<ShapeCompatibilityMetadata> ToMetadata(IEnumerable<ShapeCompatibility> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return [.. shapes.Select(s => new ShapeCompatibilityMetadata
        {
            Shape = s.Shape,
            MinOcpus = s.OcpuConstraints?.Min,
            MaxOcpus = s.OcpuConstraints?.Max,
            MinMemoryGbs = s.MemoryConstraints?.MinInGBs,
            MaxMemoryGbs = s.MemoryConstraints?.MaxInGBs,
        })];
    }

    /// <summary>
    /// Fills the descriptive fields of <paramref name="spec"/> from <paramref name="metadata"/>, except those the
    /// user set in the import (<paramref name="user"/>), which win. The launch mode is decided elsewhere.
    /// </summary>
    public static void Apply(ImageMetadata metadata, CustomImageSpec spec, ImageImportSpec user)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(user);
        if (user.OperatingSystem is null && Parse<GuestOperatingSystem>(metadata.OperatingSystem) is { } os)
        {
            spec.OperatingSystem = os;
        }

        if (user.OperatingSystemVersion is null && !string.IsNullOrEmpty(metadata.OperatingSystemVersion))
        {
            spec.OperatingSystemVersion = metadata.OperatingSystemVersion;
        }

        if (user.Architecture is null && Parse<CpuArchitecture>(metadata.Architecture) is { } architecture)
        {
            spec.Architecture = architecture;
        }

        if (user.ShapeCompatibilities.Count == 0 && metadata.ShapeCompatibilities.Count > 0)
        {
            spec.ShapeCompatibilities = [.. metadata.ShapeCompatibilities.Select(s => new ShapeCompatibility
            {
                Shape = s.Shape,
                OcpuConstraints = s.MinOcpus is null && s.MaxOcpus is null ? null : new OcpuRange { Min = s.MinOcpus, Max = s.MaxOcpus },
                MemoryConstraints = s.MinMemoryGbs is null && s.MaxMemoryGbs is null ? null : new MemoryRange { MinInGBs = s.MinMemoryGbs, MaxInGBs = s.MaxMemoryGbs },
            })];
        }
    }

    /// <summary>The API spelling of an enum value (<c>PARAVIRTUALIZED</c>, <c>Oracle Linux</c>).</summary>
    public static string Text<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(value))!;

    /// <summary>The enum value of an API spelling, or null when <paramref name="text"/> is empty or unknown.</summary>
    public static TEnum? Parse<TEnum>(string? text)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<TEnum>(JsonSerializer.Serialize(text));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
