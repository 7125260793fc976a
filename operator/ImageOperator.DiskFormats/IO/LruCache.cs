namespace ImageOperator.DiskFormats.IO;

/// <summary>
/// A small least-recently-used cache, safe for concurrent use. Values are loaded outside the lock, so two
/// readers may occasionally load the same entry; the cache never holds more than its capacity.
/// </summary>
internal sealed class LruCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _entries = new(capacity);
    private readonly LinkedList<(TKey Key, TValue Value)> _recency = new();
    private readonly Lock _lock = new();

    public async ValueTask<TValue> GetOrLoadAsync<TState>(TKey key, TState state, Func<TKey, TState, CancellationToken, ValueTask<TValue>> load, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Value;
            }
        }

        var value = await load(key, state, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (!_entries.ContainsKey(key))
            {
                if (_entries.Count >= capacity)
                {
                    var oldest = _recency.Last!;
                    _recency.RemoveLast();
                    _entries.Remove(oldest.Value.Key);
                }

                _entries[key] = _recency.AddFirst((key, value));
            }
        }

        return value;
    }
}
