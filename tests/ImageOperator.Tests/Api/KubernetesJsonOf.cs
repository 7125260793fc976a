using System.Reflection;
using System.Text.Json;
using k8s;

namespace ImageOperator.Tests.Api;

/// <summary>KubernetesJson's generic deserializer for a type known only at run time.</summary>
internal static class KubernetesJsonOf
{
    private static readonly MethodInfo Deserializer = typeof(KubernetesJson).GetMethod(
        nameof(KubernetesJson.Deserialize), 1, [typeof(string), typeof(JsonSerializerOptions)])!;

    public static object Deserialize(string json, Type type) =>
        Deserializer.MakeGenericMethod(type).Invoke(null, [json, null])!;
}
