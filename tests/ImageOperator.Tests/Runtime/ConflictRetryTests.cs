using FluentAssertions;
using ImageOperator.Runtime.Entities;
using Xunit;

namespace ImageOperator.Tests.Runtime;

public sealed class ConflictRetryTests
{
    private sealed class ConflictException : Exception;

    private sealed record Doc(int Version, IReadOnlyList<string> Items);

    /// <summary>A store with optimistic concurrency: a write must carry the current version.</summary>
    private sealed class VersionedStore(Doc initial)
    {
        public Doc Current { get; private set; } = initial;

        public int Writes { get; private set; }

        public Task<Doc?> WriteAsync(Doc proposed, int basedOn)
        {
            Writes++;
            if (basedOn != Current.Version)
            {
                throw new ConflictException();
            }

            Current = proposed with { Version = Current.Version + 1 };
            return Task.FromResult<Doc?>(Current);
        }

        /// <summary>Another writer changes the document behind the caller's back.</summary>
        public void ConcurrentAppend(string item) => Current = new Doc(Current.Version + 1, [.. Current.Items, item]);
    }

    [Fact]
    public async Task A_conflict_rereads_and_reapplies_the_change_so_neither_write_is_lost()
    {
        var store = new VersionedStore(new Doc(1, ["a"]));
        var stale = store.Current;
        store.ConcurrentAppend("theirs");

        var result = await ConflictRetry.RunAsync(
            stale,
            (doc, _) => store.WriteAsync(doc with { Items = [.. doc.Items, "mine"] }, doc.Version),
            _ => Task.FromResult<Doc?>(store.Current),
            e => e is ConflictException);

        result!.Items.Should().Equal("a", "theirs", "mine");
        store.Writes.Should().Be(2);
    }

    [Fact]
    public async Task Without_conflict_the_change_is_written_once_without_a_read()
    {
        var store = new VersionedStore(new Doc(1, []));
        var reads = 0;

        await ConflictRetry.RunAsync(
            store.Current,
            (doc, _) => store.WriteAsync(doc with { Items = ["x"] }, doc.Version),
            _ =>
            {
                reads++;
                return Task.FromResult<Doc?>(store.Current);
            },
            e => e is ConflictException);

        store.Writes.Should().Be(1);
        reads.Should().Be(0);
    }

    [Fact]
    public async Task Persistent_conflicts_surface_after_the_attempt_limit()
    {
        var attempts = 0;
        var act = () => ConflictRetry.RunAsync(
            new Doc(1, []),
            (_, _) =>
            {
                attempts++;
                throw new ConflictException();
            },
            _ => Task.FromResult<Doc?>(new Doc(1, [])),
            e => e is ConflictException,
            maxAttempts: 3);

        await act.Should().ThrowAsync<ConflictException>();
        attempts.Should().Be(3);
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        var attempts = 0;
        var act = () => ConflictRetry.RunAsync(
            new Doc(1, []),
            (_, _) =>
            {
                attempts++;
                throw new InvalidOperationException("boom");
            },
            _ => Task.FromResult<Doc?>(new Doc(1, [])),
            e => e is ConflictException);

        await act.Should().ThrowAsync<InvalidOperationException>();
        attempts.Should().Be(1);
    }

    [Fact]
    public async Task An_object_deleted_meanwhile_ends_the_loop_with_null()
    {
        var result = await ConflictRetry.RunAsync(
            new Doc(1, []),
            (_, _) => throw new ConflictException(),
            _ => Task.FromResult<Doc?>(null),
            e => e is ConflictException);

        result.Should().BeNull();
    }
}
