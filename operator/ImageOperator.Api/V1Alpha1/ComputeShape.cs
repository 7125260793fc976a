using System.Text.Json.Serialization;
using k8s.Models;
using ImageOperator.Api.Schema;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>
/// A compute shape of the catalogue: CPU count, memory, vNICs, bandwidth, local NVMe, VM or bare metal, on a
/// hardware generation. Images list the shapes they are compatible with; the admission webhook checks those
/// entries against the shape's hardware and the image's operating system.
/// </summary>
[KubernetesEntity(Group = Groups.ImageOperator, ApiVersion = Groups.V1Alpha1, Kind = "ComputeShape", PluralName = "computeshapes")]
[ShortNames("shape")]
[Scope(ResourceScope.Cluster)]
[PrinterColumn("Generation", PrinterColumnType.String, ".spec.hardwareGeneration", "Hardware generation.")]
[PrinterColumn("Processor", PrinterColumnType.String, ".spec.processorGeneration", "Processor generation.")]
[PrinterColumn("OCPUs", PrinterColumnType.Integer, ".spec.ocpus", "OCPU count.")]
[PrinterColumn("Memory (GB)", PrinterColumnType.Integer, ".spec.memoryInGBs", "Memory in gigabytes.")]
[PrinterColumn("Bare Metal", PrinterColumnType.Boolean, ".spec.baremetal", "Bare-metal shape.")]
[PrinterColumn("Age", PrinterColumnType.Date, ".metadata.creationTimestamp", "Time since creation.")]
public sealed class ComputeShape : CustomResource<ComputeShapeSpec>;

/// <summary>Hardware of a compute shape.</summary>
public sealed class ComputeShapeSpec
{
    /// <summary>Shape name as the provider writes it, for example <c>VM.Standard2.1</c>; defaults to the object name.</summary>
    [JsonPropertyName("displayName")]
    [Length(Min = 1, Max = 255)]
    public string? DisplayName { get; set; }

    /// <summary>Hardware generation (X5, X6, X7, ...): images built on one generation may not boot on another.</summary>
    [JsonPropertyName("hardwareGeneration")]
    [Required]
    public HardwareGeneration HardwareGeneration { get; set; }

    /// <summary>Processor generation (v1 to v6); Windows needs v3 or later.</summary>
    [JsonPropertyName("processorGeneration")]
    [Required]
    public ProcessorGeneration ProcessorGeneration { get; set; }

    /// <summary>OCPU count (the largest for a flexible shape).</summary>
    [JsonPropertyName("ocpus")]
    [Required]
    [Minimum(1)]
    public int Ocpus { get; set; }

    /// <summary>Virtual CPUs (hardware threads) per OCPU.</summary>
    [JsonPropertyName("vcpusPerOcpu")]
    [Minimum(1)]
    [Maximum(8)]
    [Default(2)]
    public int VcpusPerOcpu { get; set; } = 2;

    /// <summary>Memory in gigabytes (the largest for a flexible shape).</summary>
    [JsonPropertyName("memoryInGBs")]
    [Required]
    [Minimum(1)]
    public int MemoryInGBs { get; set; }

    /// <summary>For flexible shapes: the OCPU counts an instance may choose.</summary>
    [JsonPropertyName("ocpuOptions")]
    public OcpuRange? OcpuOptions { get; set; }

    /// <summary>For flexible shapes: the memory sizes an instance may choose.</summary>
    [JsonPropertyName("memoryOptions")]
    public MemoryRange? MemoryOptions { get; set; }

    /// <summary>GPU count.</summary>
    [JsonPropertyName("gpus")]
    [Minimum(0)]
    [Default(0)]
    public int Gpus { get; set; }

    /// <summary>Whether the shape is a whole bare-metal host rather than a virtual machine.</summary>
    [JsonPropertyName("baremetal")]
    [Default(false)]
    public bool Baremetal { get; set; }

    /// <summary>Number of local NVMe drives; 0 when the shape has none.</summary>
    [JsonPropertyName("localNvmeDrives")]
    [Minimum(0)]
    [Default(0)]
    public int LocalNvmeDrives { get; set; }

    /// <summary>Largest number of virtual network interfaces.</summary>
    [JsonPropertyName("maxVnics")]
    [Required]
    [Minimum(1)]
    public int MaxVnics { get; set; }

    /// <summary>Network bandwidth in gigabits per second.</summary>
    [JsonPropertyName("networkingBandwidthGbps")]
    [Required]
    [Minimum(0)]
    public double NetworkingBandwidthGbps { get; set; }

    /// <summary>Processor architecture of the shape.</summary>
    [JsonPropertyName("architecture")]
    [Default(CpuArchitecture.X86_64)]
    public CpuArchitecture Architecture { get; set; } = CpuArchitecture.X86_64;

    /// <summary>Virtual CPUs of the shape at its largest OCPU count.</summary>
    [JsonIgnore]
    public int Vcpus => Ocpus * VcpusPerOcpu;
}
