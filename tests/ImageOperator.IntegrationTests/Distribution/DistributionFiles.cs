using ImageOperator.Testing;

namespace ImageOperator.IntegrationTests.Distribution;

/// <summary>Paths and helpers shared by the tests of the chart, the kustomize layout and the scripts.</summary>
internal static class DistributionFiles
{
    /// <summary>The Helm chart's folder.</summary>
    public static string ChartDirectory => Path.Combine(RepositoryPaths.Root, "charts", "image-operator");

    /// <summary>The kustomize layout.</summary>
    public static string ConfigDirectory => Path.Combine(RepositoryPaths.Root, "config");

    /// <summary>Values that turn on the optional integrations (their CRDs come from <see cref="ThirdPartyCrds"/>).</summary>
    public const string CertManagerValues = "webhook: {certificates: {certManager: {enabled: true}}}";

    /// <summary>Values that turn on the Prometheus Operator's ServiceMonitor.</summary>
    public const string ServiceMonitorValues = "metrics: {serviceMonitor: {enabled: true, labels: {release: prometheus}}}";

    /// <summary>
    /// Stand-ins for the CRDs of cert-manager (Issuer, Certificate) and the Prometheus Operator (ServiceMonitor):
    /// they make the API server accept those kinds in a server-side dry run (their fields are checked by the
    /// chart tests themselves, as the real schemas are not available here).
    /// </summary>
    public const string ThirdPartyCrds =
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: issuers.cert-manager.io}
        spec:
          group: cert-manager.io
          names: {kind: Issuer, listKind: IssuerList, plural: issuers, singular: issuer}
          scope: Namespaced
          versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: certificates.cert-manager.io}
        spec:
          group: cert-manager.io
          names: {kind: Certificate, listKind: CertificateList, plural: certificates, singular: certificate}
          scope: Namespaced
          versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: servicemonitors.monitoring.coreos.com}
        spec:
          group: monitoring.coreos.com
          names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
          scope: Namespaced
          versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
        """;

    /// <summary>Installs <see cref="ThirdPartyCrds"/> once per API server.</summary>
    public static async Task InstallThirdPartyCrdsAsync(ControlPlaneFixture controlPlane)
    {
        (await controlPlane.KubectlWithInputAsync(ThirdPartyCrds, "apply", "-f", "-")).EnsureSuccess();
        (await controlPlane.KubectlAsync("wait", "--for=condition=Established", "--timeout=60s",
            "crd/issuers.cert-manager.io", "crd/certificates.cert-manager.io", "crd/servicemonitors.monitoring.coreos.com")).EnsureSuccess();
    }

    /// <summary>Runs <c>kubectl apply --dry-run=server</c> on a manifest and fails with kubectl's message if refused.</summary>
    public static async Task<ProcessResult> DryRunAsync(ControlPlaneFixture controlPlane, string manifest, string @namespace)
    {
        var result = await controlPlane.KubectlWithInputAsync(manifest, "apply", "--dry-run=server", "-n", @namespace, "-f", "-");
        return result.Succeeded ? result : throw new InvalidOperationException($"{result}\nmanifest:\n{manifest}");
    }
}
