using System.Net;
using k8s.Autorest;

namespace ImageOperator.Runtime.Entities;

/// <summary>Classifies failures of API server calls by HTTP status.</summary>
public static class ApiErrors
{
    /// <summary>The HTTP status of a failed API call, or null when the failure is not an HTTP answer.</summary>
    public static HttpStatusCode? StatusOf(Exception exception) =>
        (exception as HttpOperationException)?.Response?.StatusCode;

    /// <summary>409: the object changed since it was read (stale resourceVersion) or already exists.</summary>
    public static bool IsConflict(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    /// <summary>404: the object (or its namespace or type) does not exist.</summary>
    public static bool IsNotFound(Exception exception) => StatusOf(exception) == HttpStatusCode.NotFound;
}
