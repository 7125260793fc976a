namespace ImageOperator.Api.Schema;

// Schema facts that the CRD generator (crdgen) reads from the API types. The API server enforces them before any
// controller or webhook sees an object, so keep them in step with the webhooks' rules (webhooks handle what a
// structural schema cannot express; Kubernetes 1.20 has no CEL).

/// <summary>Short names for <c>kubectl get</c> (for example <c>cimg</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ShortNamesAttribute(params string[] names) : Attribute
{
    /// <summary>The short names, in the order they are published.</summary>
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>Categories the resource belongs to, so that <c>kubectl get &lt;category&gt;</c> lists it.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class CategoriesAttribute(params string[] categories) : Attribute
{
    /// <summary>The category names.</summary>
    public IReadOnlyList<string> Categories { get; } = categories;
}

/// <summary>Whether objects of a resource live in a namespace or in the whole cluster.</summary>
public enum ResourceScope
{
    /// <summary>Objects live in a namespace (the default for every resource without <see cref="ScopeAttribute"/>).</summary>
    Namespaced,

    /// <summary>Objects are cluster-wide.</summary>
    Cluster,
}

/// <summary>Sets the scope of a resource; resources without it are namespaced.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ScopeAttribute(ResourceScope scope) : Attribute
{
    /// <summary>The scope.</summary>
    public ResourceScope Scope { get; } = scope;
}

/// <summary>Type of a <c>kubectl get</c> column.</summary>
public enum PrinterColumnType
{
    /// <summary>Text.</summary>
    String,

    /// <summary>Whole number.</summary>
    Integer,

    /// <summary>Number.</summary>
    Number,

    /// <summary>True or false.</summary>
    Boolean,

    /// <summary>A timestamp shown as an age (for example <c>5m</c>).</summary>
    Date,
}

/// <summary>
/// An additional column of <c>kubectl get</c>. Columns appear in the order the attributes are declared on the class.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PrinterColumnAttribute(string name, PrinterColumnType type, string jsonPath, string description)
    : Attribute
{
    /// <summary>Column header.</summary>
    public string Name { get; } = name;

    /// <summary>Column type.</summary>
    public PrinterColumnType Type { get; } = type;

    /// <summary>JSON path of the shown value, for example <c>.status.phase</c>.</summary>
    public string JsonPath { get; } = jsonPath;

    /// <summary>What the column shows.</summary>
    public string Description { get; } = description;

    /// <summary>0 for the default view, higher to show the column only with <c>-o wide</c>.</summary>
    public int Priority { get; init; }
}

/// <summary>The field must be present.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredAttribute : Attribute;

/// <summary>Inclusive lower bound of a number.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinimumAttribute(double value) : Attribute
{
    /// <summary>The bound.</summary>
    public double Value { get; } = value;
}

/// <summary>Inclusive upper bound of a number.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MaximumAttribute(double value) : Attribute
{
    /// <summary>The bound.</summary>
    public double Value { get; } = value;
}

/// <summary>Regular expression (ECMA 262 as the API server reads it) that a string must match.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string pattern) : Attribute
{
    /// <summary>The expression.</summary>
    public string Pattern { get; } = pattern;
}

/// <summary>Length bounds of a string.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LengthAttribute : Attribute
{
    /// <summary>Minimum length, or -1 for none.</summary>
    public int Min { get; init; } = -1;

    /// <summary>Maximum length, or -1 for none.</summary>
    public int Max { get; init; } = -1;
}

/// <summary>Length bounds of each string item of a list, or of each string value of a map (the innermost, for a map of maps).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ValueLengthAttribute : Attribute
{
    /// <summary>Minimum length, or -1 for none.</summary>
    public int Min { get; init; } = -1;

    /// <summary>Maximum length, or -1 for none.</summary>
    public int Max { get; init; } = -1;
}

/// <summary>Count bounds of a list, or of a map (of every level of a map of maps).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemsAttribute : Attribute
{
    /// <summary>Minimum count, or -1 for none.</summary>
    public int Min { get; init; } = -1;

    /// <summary>Maximum count, or -1 for none.</summary>
    public int Max { get; init; } = -1;
}

/// <summary>
/// Value the API server stores when the field is absent. Enum values are written with their wire names.
/// Keep the C# property initialiser equal to it, so objects built in code match objects read from the cluster.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DefaultAttribute(object value) : Attribute
{
    /// <summary>The default value.</summary>
    public object Value { get; } = value;
}

/// <summary>
/// Marks a list whose items are objects identified by the given keys (<c>x-kubernetes-list-type: map</c>), so
/// server-side apply merges items by key and duplicates are refused. Every key must be a required field.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListMapKeysAttribute(params string[] keys) : Attribute
{
    /// <summary>JSON names of the key fields.</summary>
    public IReadOnlyList<string> Keys { get; } = keys;
}

/// <summary>Marks a list of scalars whose items are unique (<c>x-kubernetes-list-type: set</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListSetAttribute : Attribute;

/// <summary>
/// Exactly one of the named fields of this object must be present (an OpenAPI <c>oneOf</c> of <c>required</c>
/// clauses, which structural schemas allow).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ExactlyOneOfAttribute(params string[] fields) : Attribute
{
    /// <summary>JSON names of the alternative fields.</summary>
    public IReadOnlyList<string> Fields { get; } = fields;
}
