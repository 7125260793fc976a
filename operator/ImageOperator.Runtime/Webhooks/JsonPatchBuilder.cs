using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>
/// Builds an RFC 6902 JSON patch that turns the object the API server sent into the object a mutating webhook
/// returned. The change set is the difference between two renderings of the typed entity (before and after the
/// mutation) so that serialisation differences are not changes; the received document decides whether a path
/// exists, so every operation applies cleanly to it.
/// </summary>
internal static class JsonPatchBuilder
{
    /// <summary>Returns the UTF-8 JSON patch, or null when <paramref name="before"/> and <paramref name="after"/> are equal.</summary>
    public static byte[]? Diff(JsonNode? received, JsonNode? before, JsonNode? after)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            var count = Diff(writer, string.Empty, received, before, after);
            writer.WriteEndArray();
            writer.Flush();
            if (count == 0)
            {
                return null;
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static int Diff(Utf8JsonWriter writer, string path, JsonNode? received, JsonNode? before, JsonNode? after)
    {
        if (JsonNode.DeepEquals(before, after))
        {
            return 0;
        }

        if (before is JsonObject beforeObject && after is JsonObject afterObject && received is JsonObject receivedObject)
        {
            var count = 0;
            foreach (var (name, _) in beforeObject)
            {
                if (!afterObject.ContainsKey(name) && receivedObject.ContainsKey(name))
                {
                    Write(writer, "remove", Child(path, name), value: null);
                    count++;
                }
            }

            foreach (var (name, afterValue) in afterObject)
            {
                var beforeHas = beforeObject.TryGetPropertyValue(name, out var beforeValue);
                if (beforeHas && JsonNode.DeepEquals(beforeValue, afterValue))
                {
                    // Untouched by the mutation (possibly a default of the typed view absent from the received object).
                    continue;
                }

                if (beforeHas && receivedObject.TryGetPropertyValue(name, out var receivedValue))
                {
                    count += Diff(writer, Child(path, name), receivedValue, beforeValue, afterValue);
                }
                else
                {
                    // "add" on an existing object member replaces it, so it also covers members the typed view lacked.
                    Write(writer, "add", Child(path, name), afterValue);
                    count++;
                }
            }

            return count;
        }

        // Arrays and scalars are replaced whole; element-wise array patches gain nothing for our small lists.
        Write(writer, after is null ? "remove" : "add", path, after);
        return 1;
    }

    private static void Write(Utf8JsonWriter writer, string op, string path, JsonNode? value)
    {
        writer.WriteStartObject();
        writer.WriteString("op", op);
        writer.WriteString("path", path);
        if (op != "remove")
        {
            writer.WritePropertyName("value");
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Appends a member to a JSON pointer, escaping <c>~</c> and <c>/</c> (RFC 6901).</summary>
    private static string Child(string path, string name) =>
        string.Concat(path, "/", name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
}
