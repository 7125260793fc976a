namespace ImageOperator.DiskFormats.Conversion;

/// <summary>Where a conversion stands.</summary>
public enum ConversionPhase
{
    /// <summary>Reading the source once to find which ranges hold data (formats whose maps precede the data).</summary>
    Scanning,

    /// <summary>Writing the output.</summary>
    Writing,
}

/// <summary>A progress report: bytes of the virtual disk processed in the current phase, out of its size.</summary>
/// <param name="Phase">The current phase.</param>
/// <param name="BytesDone">Bytes of the virtual disk processed so far in this phase.</param>
/// <param name="BytesTotal">The virtual disk's size.</param>
public readonly record struct ConversionProgress(ConversionPhase Phase, long BytesDone, long BytesTotal);

/// <summary>Counts processed bytes and reports them in steps of at least 1/200 of the disk.</summary>
internal sealed class ProgressTracker(IProgress<ConversionProgress>? sink, long total)
{
    private readonly long _step = Math.Max(total / 200, 1);
    private ConversionPhase _phase;
    private long _done;
    private long _reported;

    public void Begin(ConversionPhase phase)
    {
        _phase = phase;
        _done = 0;
        _reported = 0;
        sink?.Report(new ConversionProgress(phase, 0, total));
    }

    public void Advance(long bytes)
    {
        _done += bytes;
        if (sink is not null && (_done - _reported >= _step || _done >= total))
        {
            _reported = _done;
            sink.Report(new ConversionProgress(_phase, Math.Min(_done, total), total));
        }
    }
}
