using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ImageOperator.Runtime.Entities;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ImageOperator.Runtime.Events;

/// <summary>Severity of an Event, as kubectl shows it.</summary>
public enum EventType
{
    /// <summary>Progress and success.</summary>
    Normal,

    /// <summary>Something the user should look at.</summary>
    Warning,
}

/// <summary>
/// Writes core/v1 Events about entities. Repeats of the same (object, type, reason, message) within this process
/// update the count and last timestamp of the existing Event instead of creating a new one. Messages pass
/// through <see cref="EventMessage.Sanitize"/>, so URLs never carry their signatures into Events. Recording is
/// best effort: failures are logged, never thrown, so events cannot break a reconcile.
/// </summary>
public sealed class EventRecorder
{
    private const int MaxRemembered = 4096;

    private readonly IKubernetes _kubernetes;
    private readonly ILogger<EventRecorder> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Uid, EventType Type, string Reason, string Message), Recorded> _recent = new();

    /// <summary>Creates a recorder reporting as <paramref name="component"/> from <paramref name="instance"/>.</summary>
    public EventRecorder(IKubernetes kubernetes, ILogger<EventRecorder> logger, string component = "image-operator", string? instance = null, TimeProvider? time = null)
    {
        _kubernetes = kubernetes ?? throw new ArgumentNullException(nameof(kubernetes));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        Component = component;
        Instance = instance ?? Environment.MachineName;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The reporting component written into Events.</summary>
    public string Component { get; }

    /// <summary>The reporting instance (this replica).</summary>
    public string Instance { get; }

    /// <summary>Records a <see cref="EventType.Normal"/> event.</summary>
    public Task NormalAsync(IKubernetesObject<V1ObjectMeta> entity, string reason, string message, CancellationToken cancellationToken = default) =>
        RecordAsync(entity, EventType.Normal, reason, message, cancellationToken);

    /// <summary>Records a <see cref="EventType.Warning"/> event.</summary>
    public Task WarningAsync(IKubernetesObject<V1ObjectMeta> entity, string reason, string message, CancellationToken cancellationToken = default) =>
        RecordAsync(entity, EventType.Warning, reason, message, cancellationToken);

    /// <summary>Records an event about <paramref name="entity"/>; <paramref name="reason"/> is a short UpperCamelCase word.</summary>
    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> entity, EventType type, string reason, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentNullException.ThrowIfNull(message);
        var safeMessage = EventMessage.Sanitize(message);
        var ns = string.IsNullOrEmpty(entity.Namespace()) ? "default" : entity.Namespace();
        var key = (entity.Uid() ?? ObjectKey.Of(entity).ToString(), type, reason, safeMessage);
        var now = _time.GetUtcNow().UtcDateTime;
        try
        {
            if (_recent.TryGetValue(key, out var previous) && await TryIncrementAsync(previous, ns, now, cancellationToken).ConfigureAwait(false) is { } incremented)
            {
                _recent[key] = incremented;
                return;
            }

            var name = $"{entity.Name()}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
            await _kubernetes.CoreV1.CreateNamespacedEventAsync(
                new Corev1Event
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                    InvolvedObject = new V1ObjectReference
                    {
                        ApiVersion = entity.ApiVersion,
                        Kind = entity.Kind,
                        Name = entity.Name(),
                        NamespaceProperty = entity.Namespace(),
                        Uid = entity.Uid(),
                        ResourceVersion = entity.ResourceVersion(),
                    },
                    Type = type.ToString(),
                    Reason = reason,
                    Message = safeMessage,
                    Count = 1,
                    FirstTimestamp = now,
                    LastTimestamp = now,
                    Source = new V1EventSource { Component = Component, Host = Instance },
                    ReportingComponent = Component,
                    ReportingInstance = Instance,
                },
                ns,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (_recent.Count >= MaxRemembered)
            {
                _recent.Clear();
            }

            _recent[key] = new Recorded(name, 1);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _logger.LogWarning(exception, "Could not record event {Reason} for {Kind} {Key}.", reason, entity.Kind, ObjectKey.Of(entity));
        }
    }

    /// <returns>The new record, or null when the earlier event is gone (expired) and a new one must be created.</returns>
    private async Task<Recorded?> TryIncrementAsync(Recorded previous, string ns, DateTime now, CancellationToken cancellationToken)
    {
        var count = previous.Count + 1;
        var patch = new JsonObject { ["count"] = count, ["lastTimestamp"] = now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) };
        try
        {
            await _kubernetes.CoreV1.PatchNamespacedEventAsync(
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), previous.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return previous with { Count = count };
        }
        catch (Exception exception) when (ApiErrors.IsNotFound(exception))
        {
            return null;
        }
    }

    private sealed record Recorded(string Name, int Count);
}
