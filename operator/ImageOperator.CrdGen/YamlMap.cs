namespace ImageOperator.CrdGen;

/// <summary>
/// A YAML mapping whose keys keep their insertion order, so that the emitted text depends only on the code that
/// built it. Values are strings, booleans, integers, doubles, <see cref="YamlMap"/>s or lists of those.
/// </summary>
public sealed class YamlMap : List<KeyValuePair<string, object>>
{
    /// <summary>Appends a key; keys must be unique.</summary>
    public YamlMap Set(string key, object value)
    {
        if (Exists(pair => pair.Key == key))
        {
            throw new InvalidOperationException($"Duplicate YAML key '{key}'.");
        }

        Add(new(key, value));
        return this;
    }

    /// <summary>The value of a key, or null.</summary>
    public object? Get(string key) => Find(pair => pair.Key == key).Value;
}
