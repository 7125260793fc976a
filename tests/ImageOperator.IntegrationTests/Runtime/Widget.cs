using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ImageOperator.IntegrationTests.Runtime;

/// <summary>A tiny custom resource of the runtime's own tests, independent of the product's API types.</summary>
[KubernetesEntity(Group = WidgetCrd.Group, ApiVersion = "v1", Kind = "Widget", PluralName = "widgets")]
public sealed class Widget : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{WidgetCrd.Group}/v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Widget";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public WidgetSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public WidgetStatus? Status { get; set; }

    public static Widget New(string ns, string name, int size = 1) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, Spec = new WidgetSpec { Size = size } };
}

public sealed class WidgetSpec
{
    [JsonPropertyName("size")]
    public int Size { get; set; }
}

public sealed class WidgetStatus
{
    [JsonPropertyName("notes")]
    public List<string> Notes { get; set; } = [];

    [JsonPropertyName("observedSize")]
    public int ObservedSize { get; set; }
}

/// <summary>Installs the Widget CRD once per API server.</summary>
public static class WidgetCrd
{
    public const string Group = "runtime.test.imageoperator.io";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool installed;

    public static async Task InstallAsync(IKubernetes client)
    {
        await Gate.WaitAsync();
        try
        {
            if (installed)
            {
                return;
            }

            var openObject = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true };
            var crd = new V1CustomResourceDefinition
            {
                Metadata = new V1ObjectMeta { Name = $"widgets.{Group}" },
                Spec = new V1CustomResourceDefinitionSpec
                {
                    Group = Group,
                    Scope = "Namespaced",
                    Names = new V1CustomResourceDefinitionNames { Kind = "Widget", ListKind = "WidgetList", Plural = "widgets", Singular = "widget" },
                    Versions =
                    [
                        new V1CustomResourceDefinitionVersion
                        {
                            Name = "v1",
                            Served = true,
                            Storage = true,
                            Subresources = new V1CustomResourceSubresources { Status = new object() },
                            Schema = new V1CustomResourceValidation
                            {
                                OpenAPIV3Schema = new V1JSONSchemaProps
                                {
                                    Type = "object",
                                    Properties = new Dictionary<string, V1JSONSchemaProps> { ["spec"] = openObject, ["status"] = openObject },
                                },
                            },
                        },
                    ],
                },
            };
            try
            {
                await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // Installed by an earlier test process against the same server.
            }

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var current = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name);
                if (current.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"CRD {crd.Metadata.Name} was not established within 60 s.");
                }

                await Task.Delay(200);
            }

            installed = true;
        }
        finally
        {
            Gate.Release();
        }
    }
}
