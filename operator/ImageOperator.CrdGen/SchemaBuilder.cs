using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using ImageOperator.Api.Schema;
using k8s.Models;

namespace ImageOperator.CrdGen;

/// <summary>
/// Builds the OpenAPI v3 structural schema of a C# API type: every field typed, described and validated as its
/// attributes say. Refuses types that would give an invalid or undocumented schema, naming the property.
/// </summary>
public sealed class SchemaBuilder(XmlDocumentation documentation)
{
    // Types from KubernetesClient cannot carry our attributes or our documentation; a documented stand-in with the
    // same JSON fields describes them.
    private static readonly Dictionary<Type, Type> StandIns = new() { [typeof(V1Condition)] = typeof(ConditionSchema) };

    /// <summary>The schema of an object type, with its properties sorted by JSON name.</summary>
    public YamlMap ObjectSchema(Type type, string? description)
    {
        type = StandIns.GetValueOrDefault(type, type);
        var properties = JsonProperties(type);
        var schema = new YamlMap();
        if (description is not null)
        {
            schema.Set("description", description);
        }

        schema.Set("type", "object");
        var propertySchemas = new YamlMap();
        foreach (var (name, property) in properties)
        {
            propertySchemas.Set(name, PropertySchema(property));
        }

        schema.Set("properties", propertySchemas);
        var required = properties.Where(p => p.Property.IsDefined(typeof(RequiredAttribute))).Select(p => p.Name).ToList();
        if (required.Count > 0)
        {
            schema.Set("required", required);
        }

        if (type.GetCustomAttribute<ExactlyOneOfAttribute>() is { } oneOf)
        {
            var unknown = oneOf.Fields.Where(f => properties.All(p => p.Name != f)).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidOperationException($"{type.Name}: [ExactlyOneOf] names unknown fields {string.Join(", ", unknown)}.");
            }

            schema.Set("oneOf", oneOf.Fields.Select(f => new YamlMap().Set("required", new[] { f })).ToList());
        }

        return schema;
    }

    /// <summary>The serialised properties of a type as (JSON name, property), sorted by JSON name.</summary>
    public static List<(string Name, PropertyInfo Property)> JsonProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => !p.IsDefined(typeof(JsonIgnoreAttribute)))
            .Select(p => (
                Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                    ?? throw new InvalidOperationException($"{type.Name}.{p.Name} lacks [JsonPropertyName]."),
                Property: p))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();

    private YamlMap PropertySchema(PropertyInfo property)
    {
        var where = $"{property.DeclaringType!.Name}.{property.Name}";
        var description = documentation.Summary(property)
            ?? throw new InvalidOperationException($"{where} has no XML <summary>; it becomes the field's description.");
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var schema = ValueSchema(type, WithLimits(description, property, type), where);

        if (property.GetCustomAttribute<DefaultAttribute>() is { } defaultValue)
        {
            if (property.IsDefined(typeof(RequiredAttribute)))
            {
                throw new InvalidOperationException($"{where}: a required field cannot have a default.");
            }

            schema.Set("default", Scalar(defaultValue.Value, type, where));
        }

        if (property.GetCustomAttribute<MinimumAttribute>() is { } minimum)
        {
            schema.Set("minimum", Bound(minimum.Value, type));
        }

        if (property.GetCustomAttribute<MaximumAttribute>() is { } maximum)
        {
            schema.Set("maximum", Bound(maximum.Value, type));
        }

        if (property.GetCustomAttribute<LengthAttribute>() is { } length)
        {
            SetCount(schema, "minLength", length.Min);
            SetCount(schema, "maxLength", length.Max);
        }

        if (property.GetCustomAttribute<PatternAttribute>() is { } pattern)
        {
            schema.Set("pattern", pattern.Pattern);
        }

        if (property.GetCustomAttribute<ItemsAttribute>() is { } items)
        {
            if (DictionaryValueType(type) is null)
            {
                SetCount(schema, "minItems", items.Min);
                SetCount(schema, "maxItems", items.Max);
            }
            else
            {
                // Every level of a map of maps is bounded alike.
                foreach (var map in MapLevels(schema))
                {
                    SetCount(map, "minProperties", items.Min);
                    SetCount(map, "maxProperties", items.Max);
                }
            }
        }

        if (property.GetCustomAttribute<ValueLengthAttribute>() is { } valueLength)
        {
            var innermost = MapLevels(schema).LastOrDefault()?.Get("additionalProperties") as YamlMap
                ?? schema.Get("items") as YamlMap
                ?? throw new InvalidOperationException($"{where}: [ValueLength] needs a map or a list.");
            SetCount(innermost, "minLength", valueLength.Min);
            SetCount(innermost, "maxLength", valueLength.Max);
        }

        if (property.GetCustomAttribute<ListSetAttribute>() is not null)
        {
            schema.Set("x-kubernetes-list-type", "set");
        }

        if (property.GetCustomAttribute<ListMapKeysAttribute>() is { } mapKeys)
        {
            var itemType = StandIns.GetValueOrDefault(ElementType(type)!, ElementType(type)!);
            var requiredKeys = JsonProperties(itemType)
                .Where(p => p.Property.IsDefined(typeof(RequiredAttribute))).Select(p => p.Name).ToHashSet();
            var notRequired = mapKeys.Keys.Where(k => !requiredKeys.Contains(k)).ToList();
            if (notRequired.Count > 0)
            {
                throw new InvalidOperationException($"{where}: list map keys must be required fields: {string.Join(", ", notRequired)}.");
            }

            schema.Set("x-kubernetes-list-map-keys", mapKeys.Keys.ToList());
            schema.Set("x-kubernetes-list-type", "map");
        }

        return schema;
    }

    private YamlMap ValueSchema(Type type, string? description, string where)
    {
        if (DictionaryValueType(type) is { } valueType)
        {
            return Describe(new YamlMap(), description).Set("type", "object")
                .Set("additionalProperties", ValueSchema(valueType, null, where));
        }

        if (ElementType(type) is { } elementType)
        {
            return Describe(new YamlMap(), description).Set("type", "array")
                .Set("items", ValueSchema(elementType, null, where));
        }

        if (type.IsEnum)
        {
            return Describe(new YamlMap(), description).Set("type", "string")
                .Set("enum", Enum.GetValues(type).Cast<object>().Select(v => EnumWireName(type, v)).ToList());
        }

        var scalar = Type.GetTypeCode(type) switch
        {
            TypeCode.String => ("string", null),
            TypeCode.Boolean => ("boolean", null),
            TypeCode.Int32 => ("integer", "int32"),
            TypeCode.Int64 => ("integer", "int64"),
            TypeCode.Double => ("number", "double"),
            TypeCode.DateTime => ("string", "date-time"),
            _ => ((string, string?)?)null,
        };
        if (scalar is var (openApiType, format))
        {
            var schema = Describe(new YamlMap(), description).Set("type", openApiType);
            return format is null ? schema : schema.Set("format", format);
        }

        if (type.IsClass && type.Namespace?.StartsWith("System", StringComparison.Ordinal) != true)
        {
            // Items and map values carry their type's summary; fields carry the field's own.
            return ObjectSchema(type, description ?? documentation.Summary(StandIns.GetValueOrDefault(type, type)));
        }

        throw new InvalidOperationException($"{where}: no schema mapping for type {type}.");
    }

    /// <summary>The wire name of an enum value: its [JsonStringEnumMemberName], or the member name.</summary>
    public static string EnumWireName(Type enumType, object value)
    {
        var name = Enum.GetName(enumType, value)!;
        return enumType.GetField(name)!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? name;
    }

    private static YamlMap Describe(YamlMap schema, string? description) =>
        description is null ? schema : schema.Set("description", description);

    private static object Scalar(object value, Type type, string where) => value switch
    {
        Enum when value.GetType() == type => EnumWireName(type, value),
        bool or string when value.GetType() == type => value,
        int number when type == typeof(int) || type == typeof(long) => number,
        _ => throw new InvalidOperationException($"{where}: default {value} does not fit type {type.Name}."),
    };

    private static object Bound(double value, Type type) =>
        type == typeof(int) || type == typeof(long) ? checked((long)value) : value;

    // kubectl explain shows descriptions, not schema keywords: the limits are spelled out there too.
    private static string WithLimits(string description, PropertyInfo property, Type type)
    {
        var limits = new List<string>();
        if (property.GetCustomAttribute<LengthAttribute>() is { Max: >= 0 } length)
        {
            limits.Add($"at most {length.Max} characters");
        }

        if (property.GetCustomAttribute<ItemsAttribute>() is { Max: >= 0 } items)
        {
            limits.Add(DictionaryValueType(type) is null ? $"at most {items.Max} items" : $"at most {items.Max} entries");
        }

        if (property.GetCustomAttribute<ValueLengthAttribute>() is { Max: >= 0 } values)
        {
            limits.Add($"values of at most {values.Max} characters");
        }

        return limits.Count == 0 ? description : $"{description.TrimEnd()} Limits: {string.Join(", ", limits)}.";
    }

    private static IEnumerable<YamlMap> MapLevels(YamlMap schema)
    {
        for (var level = schema; level.Get("additionalProperties") is YamlMap values; level = values)
        {
            yield return level;
        }
    }

    private static void SetCount(YamlMap schema, string key, int value)
    {
        if (value >= 0)
        {
            schema.Set(key, value);
        }
    }

    private static Type? DictionaryValueType(Type type) =>
        GenericInterface(type, typeof(IDictionary<,>)) is { } dictionary
        && dictionary.GetGenericArguments()[0] == typeof(string)
            ? dictionary.GetGenericArguments()[1]
            : null;

    private static Type? ElementType(Type type) =>
        type == typeof(string) || DictionaryValueType(type) is not null ? null
        : type.IsArray ? type.GetElementType()
        : GenericInterface(type, typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private static Type? GenericInterface(Type type, Type definition) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == definition
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);
}
