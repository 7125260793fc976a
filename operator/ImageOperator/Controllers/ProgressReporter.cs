using ImageOperator.Api.V1Alpha1;
using ImageOperator.DiskFormats.Conversion;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Controllers;

/// <summary>
/// Turns the converter's progress callbacks into status writes, at most one every interval unless the percentage
/// moved by at least five points, and never two at once. A failed write is logged and skipped: progress is advisory.
/// </summary>
internal sealed class ProgressReporter(
    Func<TransferProgress, CancellationToken, Task> write, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    : IProgress<ConversionProgress>
{
    private const int PercentStep = 5;

    // When the converter scans the source before writing, the scan counts for this share of the work.
    private const int ScanShare = 30;

    private readonly Lock _lock = new();
    private Task _pending = Task.CompletedTask;
    private DateTimeOffset _lastWrite = DateTimeOffset.MinValue;
    private int _lastPercent = -1;
    private bool _scanned;

    /// <inheritdoc />
    public void Report(ConversionProgress value)
    {
        var progress = ToTransferProgress(value);
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (!_pending.IsCompleted || (progress.Percent - _lastPercent < PercentStep && now - _lastWrite < interval))
            {
                return;
            }

            _lastWrite = now;
            _lastPercent = progress.Percent;
            _pending = WriteAsync(progress);
        }
    }

    /// <summary>Waits for the write in flight, if any.</summary>
    public Task FlushAsync()
    {
        lock (_lock)
        {
            return _pending;
        }
    }

    private TransferProgress ToTransferProgress(ConversionProgress value)
    {
        var fraction = value.BytesTotal == 0 ? 1.0 : (double)value.BytesDone / value.BytesTotal;
        int percent;
        if (value.Phase == ConversionPhase.Scanning)
        {
            _scanned = true;
            percent = (int)(fraction * ScanShare);
        }
        else
        {
            percent = _scanned ? ScanShare + (int)(fraction * (100 - ScanShare)) : (int)(fraction * 100);
        }

        // 100 is reported by the controller once the result is verified, not by the converter.
        return new TransferProgress { Percent = Math.Min(percent, 99), BytesDone = value.BytesDone, BytesTotal = value.BytesTotal };
    }

    private async Task WriteAsync(TransferProgress progress)
    {
        try
        {
            await write(progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record progress {Percent}%.", progress.Percent);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the work itself is being cancelled too.
        }
    }
}
