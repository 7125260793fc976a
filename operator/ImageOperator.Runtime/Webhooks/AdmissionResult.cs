using Microsoft.AspNetCore.Http;

namespace ImageOperator.Runtime.Webhooks;

/// <summary>The verdict of a validation webhook: allowed (with optional warnings) or denied with a message.</summary>
public sealed class ValidationResult
{
    private ValidationResult(bool allowed, string? message, int code, IReadOnlyList<string> warnings)
    {
        Allowed = allowed;
        Message = message;
        Code = code;
        Warnings = warnings;
    }

    /// <summary>Whether the request is admitted.</summary>
    public bool Allowed { get; }

    /// <summary>Why the request was denied (null when allowed).</summary>
    public string? Message { get; }

    /// <summary>The HTTP status code reported with a denial.</summary>
    public int Code { get; }

    /// <summary>Warnings returned to the client (kubectl prints them).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Admits the request.</summary>
    public static ValidationResult Success(params IEnumerable<string> warnings) =>
        new(true, null, StatusCodes.Status200OK, [.. warnings]);

    /// <summary>Denies the request; <paramref name="message"/> reaches the user verbatim.</summary>
    public static ValidationResult Fail(string message, int code = StatusCodes.Status422UnprocessableEntity) =>
        new(false, message, code, []);

    /// <summary>Denies the request, still returning the warnings gathered so far.</summary>
    public static ValidationResult Fail(string message, int code, IEnumerable<string> warnings) =>
        new(false, message, code, [.. warnings]);
}

/// <summary>The verdict of a mutation webhook: unchanged, modified (becomes a JSON patch) or denied.</summary>
/// <typeparam name="T">The entity type.</typeparam>
public sealed class MutationResult<T>
    where T : class
{
    private MutationResult(ValidationResult verdict, T? modified)
    {
        Verdict = verdict;
        ModifiedEntity = modified;
    }

    /// <summary>Allowed/denied, message and warnings.</summary>
    public ValidationResult Verdict { get; }

    /// <summary>The entity as it should be stored, or null when nothing changes.</summary>
    public T? ModifiedEntity { get; }

    /// <summary>Admits the object unchanged.</summary>
    public static MutationResult<T> NoChanges(params IEnumerable<string> warnings) =>
        new(ValidationResult.Success(warnings), null);

    /// <summary>Admits the object as <paramref name="entity"/>; the difference is sent as a JSON patch.</summary>
    public static MutationResult<T> Modified(T entity, params IEnumerable<string> warnings) =>
        new(ValidationResult.Success(warnings), entity);

    /// <summary>Denies the request.</summary>
    public static MutationResult<T> Fail(string message, int code = StatusCodes.Status422UnprocessableEntity) =>
        new(ValidationResult.Fail(message, code), null);
}
