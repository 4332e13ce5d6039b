import { DR_ACCESS_LABEL, FIELD_MANAGER, LABELS, type KubeObject } from './manifests';
import type { ServiceSpec } from './service-spec';
import { trafficOf } from './traffic';

/**
 * The service's objects that do not belong to one revision (infra/k8s/base has the same): its
 * PodDisruptionBudget and ingress NetworkPolicy, when the spec asks for them. Applied at promotion.
 */
export function renderServiceObjects(spec: ServiceSpec): KubeObject[] {
  const metadata = (name: string) => ({
    name,
    namespace: spec.namespace,
    labels: { [LABELS.name]: spec.service, [LABELS.managedBy]: FIELD_MANAGER },
  });
  const pods = { matchLabels: { [LABELS.name]: spec.service } };
  const objects: KubeObject[] = [];
  if (spec.disruptionBudget) {
    objects.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(spec.service),
      spec: { maxUnavailable: spec.disruptionBudget.maxUnavailable, selector: pods },
    });
  }
  if (spec.networkPolicy) {
    const { kind, traffic } = trafficOf(spec);
    const namespaces = [...new Set([...kind.ingressNamespaces(spec, traffic), ...spec.networkPolicy.allowNamespaces])];
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata(`${spec.service}-ingress`),
      spec: {
        podSelector: pods,
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              ...namespaces.map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } })),
              { namespaceSelector: { matchLabels: { [DR_ACCESS_LABEL]: 'true' } } },
            ],
            ports: [{ port: spec.container.port, protocol: 'TCP' }],
          },
        ],
      },
    });
  }
  return objects;
}
