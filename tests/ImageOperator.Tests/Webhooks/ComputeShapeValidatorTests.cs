using FluentAssertions;
using ImageOperator.Api.V1Alpha1;
using ImageOperator.Webhooks;
using Xunit;

namespace ImageOperator.Tests.Webhooks;

public sealed class ComputeShapeValidatorTests
{
    [Theory]
    [InlineData(1, 64, null, null, "spec.ocpuOptions.max: 64 exceeds spec.ocpus 32 (the largest value of the shape)")]
    [InlineData(40, null, null, null, "spec.ocpuOptions.min: 40 exceeds spec.ocpus 32 (the largest value of the shape)")]
    [InlineData(8, 4, null, null, "spec.ocpuOptions.min: 8 is greater than max 4 (min must not exceed max)")]
    [InlineData(null, null, 1, 1024, "spec.memoryOptions.maxInGBs: 1024 exceeds spec.memoryInGBs 512 (the largest value of the shape)")]
    [InlineData(null, null, 64, 32, "spec.memoryOptions.minInGBs: 64 is greater than maxInGBs 32 (min must not exceed max)")]
    public async Task Ranges_outside_the_shape_are_denied(int? ocpuMin, int? ocpuMax, int? memoryMin, int? memoryMax, string expected)
    {
        var shape = InMemoryAdmissionLookup.Shape("vm.standard3.flex", HardwareGeneration.X9, ProcessorGeneration.V5, 32, 512);
        shape.Spec.OcpuOptions = new OcpuRange { Min = ocpuMin, Max = ocpuMax };
        shape.Spec.MemoryOptions = new MemoryRange { MinInGBs = memoryMin, MaxInGBs = memoryMax };

        var result = await new ComputeShapeValidator().CreateAsync(shape, Samples.Create, CancellationToken.None);

        result.Allowed.Should().BeFalse();
        result.Message.Should().Be(expected);
    }

    [Fact]
    public async Task Fixed_and_flexible_shapes_of_the_catalogue_are_admitted()
    {
        var validator = new ComputeShapeValidator();
        var fixedShape = InMemoryAdmissionLookup.Shape("vm.standard2.4", HardwareGeneration.X7, ProcessorGeneration.V3, 4, 60);
        var flexible = InMemoryAdmissionLookup.Flexible("vm.standard3.flex", HardwareGeneration.X9, ProcessorGeneration.V5, 32, 512);

        (await validator.CreateAsync(fixedShape, Samples.Create, CancellationToken.None)).Allowed.Should().BeTrue();
        (await validator.UpdateAsync(fixedShape, flexible, Samples.Update, CancellationToken.None)).Allowed.Should().BeTrue();
    }
}
