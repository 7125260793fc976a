using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using k8s.Models;

namespace ImageOperator.Tests.Webhooks;

/// <summary>The cluster state of a rule test: a shape catalogue, images, Secrets and running exports held in memory.</summary>
internal sealed class InMemoryAdmissionLookup : IAdmissionLookup
{
    private readonly Dictionary<string, ComputeShape> shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), CustomImage> images = [];
    private readonly Dictionary<(string, string), Dictionary<string, string>> secrets = [];
    private readonly List<(string Namespace, string Image, string Export)> runningExports = [];

    /// <summary>A catalogue with one shape of each kind the rules distinguish.</summary>
    public static InMemoryAdmissionLookup WithCatalogue() => new InMemoryAdmissionLookup()
        .AddShape(Shape("vm.standard1.2", HardwareGeneration.X5, ProcessorGeneration.V1, ocpus: 2, memory: 14))
        .AddShape(Shape("vm.standard2.1", HardwareGeneration.X7, ProcessorGeneration.V3, ocpus: 1, memory: 15))
        .AddShape(Shape("vm.standard2.4", HardwareGeneration.X7, ProcessorGeneration.V3, ocpus: 4, memory: 60))
        .AddShape(Shape("vm.standard.b1.1", HardwareGeneration.X6, ProcessorGeneration.V2, ocpus: 1, memory: 12))
        .AddShape(Shape("vm.standard.x6.2", HardwareGeneration.X6, ProcessorGeneration.V3, ocpus: 2, memory: 24))
        .AddShape(Shape("vm.small.1", HardwareGeneration.X7, ProcessorGeneration.V3, ocpus: 1, memory: 2, vcpusPerOcpu: 1))
        .AddShape(Shape("vm.legacy32.1", HardwareGeneration.X7, ProcessorGeneration.V3, ocpus: 1, memory: 8, architecture: CpuArchitecture.I386))
        .AddShape(Flexible("vm.standard3.flex", HardwareGeneration.X9, ProcessorGeneration.V5, maxOcpus: 32, maxMemory: 512));

    public static ComputeShape Shape(string name, HardwareGeneration generation, ProcessorGeneration processor, int ocpus, int memory,
        int vcpusPerOcpu = 2, CpuArchitecture architecture = CpuArchitecture.X86_64) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ComputeShapeSpec
        {
            HardwareGeneration = generation,
            ProcessorGeneration = processor,
            Ocpus = ocpus,
            VcpusPerOcpu = vcpusPerOcpu,
            MemoryInGBs = memory,
            MaxVnics = 2,
            NetworkingBandwidthGbps = 1,
            Architecture = architecture,
        },
    };

    public static ComputeShape Flexible(string name, HardwareGeneration generation, ProcessorGeneration processor, int maxOcpus, int maxMemory)
    {
        var shape = Shape(name, generation, processor, maxOcpus, maxMemory);
        shape.Spec.OcpuOptions = new OcpuRange { Min = 1, Max = maxOcpus };
        shape.Spec.MemoryOptions = new MemoryRange { MinInGBs = 1, MaxInGBs = maxMemory };
        return shape;
    }

    public InMemoryAdmissionLookup AddShape(ComputeShape shape)
    {
        shapes[shape.Metadata.Name] = shape;
        return this;
    }

    public InMemoryAdmissionLookup AddImage(string @namespace, CustomImage image)
    {
        image.Metadata.NamespaceProperty = @namespace;
        images[(@namespace, image.Metadata.Name)] = image;
        return this;
    }

    public InMemoryAdmissionLookup AddSecret(string @namespace, string name, string key, string value)
    {
        if (!secrets.TryGetValue((@namespace, name), out var data))
        {
            secrets[(@namespace, name)] = data = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        data[key] = value;
        return this;
    }

    public InMemoryAdmissionLookup AddRunningExport(string @namespace, string image, string export)
    {
        runningExports.Add((@namespace, image, export));
        return this;
    }

    public ValueTask<ComputeShape?> FindShapeAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(shapes.GetValueOrDefault(name));

    public ValueTask<CustomImage?> FindImageAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(images.GetValueOrDefault((@namespace, name)));

    public ValueTask<SecretValue> FindSecretValueAsync(string @namespace, string name, string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(secrets.TryGetValue((@namespace, name), out var data)
            ? new SecretValue(true, data.GetValueOrDefault(key))
            : new SecretValue(false, null));

    public ValueTask<IReadOnlyList<string>> FindRunningExportsAsync(string @namespace, string imageName, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. runningExports.Where(e => e.Namespace == @namespace && e.Image == imageName).Select(e => e.Export)]);
}
