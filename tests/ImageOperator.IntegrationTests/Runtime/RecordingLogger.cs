using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ImageOperator.IntegrationTests.Runtime;

/// <summary>Keeps log entries so that tests can show them and assert on warnings.</summary>
internal sealed class RecordingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IEnumerable<string> Warnings => Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception) + (exception is null ? string.Empty : $" [{exception.GetType().Name}: {exception.Message}]")));

    public override string ToString() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Level}: {e.Message}"));
}
