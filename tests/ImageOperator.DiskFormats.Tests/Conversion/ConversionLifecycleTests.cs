using FluentAssertions;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Tests.Conversion;

/// <summary>Nothing is left behind when a conversion is cancelled or fails, whatever the output format.</summary>
[Collection(ReferenceDiskCollection.Name)]
public sealed class ConversionLifecycleTests(ReferenceDisk reference)
{
    public static TheoryData<string> Outputs => [.. ConvertedImage.Outputs.Keys];

    [Theory]
    [MemberData(nameof(Outputs))]
    public async Task Cancellation_while_writing_leaves_no_file(string output)
    {
        var folder = EmptyFolder();
        using var cancellation = new CancellationTokenSource();
        var progress = new CancelWhenWriting(cancellation);

        var source = new FailingDiskImage(await OpenReferenceAsync(), failAt: null);

        var convert = () => ConvertAsync(source, Path.Combine(folder, "out"), output, progress, cancellation.Token);

        await convert.Should().ThrowAsync<OperationCanceledException>();
        progress.Cancelled.Should().BeTrue("the conversion must have been under way");
        Directory.EnumerateFileSystemEntries(folder).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public async Task A_source_failing_midway_leaves_no_file(string output)
    {
        var folder = EmptyFolder();
        var source = new FailingDiskImage(await OpenReferenceAsync(), failAt: 30L << 20);

        var convert = () => ConvertAsync(source, Path.Combine(folder, "out"), output, null, CancellationToken.None);

        await convert.Should().ThrowAsync<IOException>().WithMessage("*injected*");
        Directory.EnumerateFileSystemEntries(folder).Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_conversion_keeps_an_existing_destination_untouched()
    {
        var destination = Path.Combine(EmptyFolder(), "existing.qcow2");
        await File.WriteAllTextAsync(destination, "previous content");

        var source = new FailingDiskImage(await OpenReferenceAsync(), failAt: 1L << 20);

        var convert = () => ConvertAsync(source, destination, "qcow2-c", null, CancellationToken.None);

        await convert.Should().ThrowAsync<IOException>();
        (await File.ReadAllTextAsync(destination)).Should().Be("previous content");
        Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(destination)!).Should().ContainSingle();
    }

    private static async Task ConvertAsync(DiskImage source, string destination, string output, IProgress<ConversionProgress>? progress, CancellationToken cancellationToken)
    {
        await using (source)
        {
            var (format, compress) = ConvertedImage.Outputs[output];
            await using var sink = FileImageSink.Create(destination);
            await DiskImageConverter.ConvertAsync(source, sink, new ConversionOptions { Format = format, Compress = compress }, progress, cancellationToken);
        }
    }

    private async Task<DiskImage> OpenReferenceAsync() => await DiskImageReader.OpenAsync(FileRangeReader.Open(reference.RawPath));

    private string EmptyFolder()
    {
        var folder = reference.NewPath("lifecycle");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Cancels as soon as the writing phase reports progress past its start.</summary>
    private sealed class CancelWhenWriting(CancellationTokenSource cancellation) : IProgress<ConversionProgress>
    {
        public bool Cancelled { get; private set; }

        public void Report(ConversionProgress value)
        {
            if (value.Phase == ConversionPhase.Writing && value.BytesDone > 0)
            {
                Cancelled = true;
                cancellation.Cancel();
            }
        }
    }

    /// <summary>A real image whose reads fail from a virtual offset on, like a source whose storage goes away.</summary>
    private sealed class FailingDiskImage(DiskImage inner, long? failAt) : DiskImage
    {
        public override DiskFormat Format => inner.Format;

        public override string Subformat => inner.Subformat;

        public override long VirtualSize => inner.VirtualSize;

        public override long AllocatedBytes => inner.AllocatedBytes;

        public override IAsyncEnumerable<Extent> GetExtentsAsync(CancellationToken cancellationToken = default) => inner.GetExtentsAsync(cancellationToken);

        public override ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            offset + buffer.Length > failAt ? throw new IOException("injected read failure") : inner.ReadAsync(offset, buffer, cancellationToken);

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
