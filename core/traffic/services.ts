/**
 * The Services every traffic kind renders: the service's own (what clients call) and one per
 * track (stable, canary), which golden prompts, per-track checks and gateway backends address.
 */
import { LABELS, serviceName, type KubeObject, type ObjectRef, type ServiceRole } from '../manifests';
import type { TrafficSplit } from './kind';

export const SERVICE_ROLES: readonly ServiceRole[] = ['main', 'stable', 'canary'];
export const SERVICE_TYPE = { apiVersion: 'v1', kind: 'Service' } as const;

export const serviceRefs = (namespace: string, service: string): ObjectRef[] =>
  SERVICE_ROLES.map((role) => ({ ...SERVICE_TYPE, namespace, name: serviceName(service, role) }));

/** The revision the Service of `role` selects (undefined: none, or every revision). */
export function selectedRevision(objects: readonly KubeObject[], service: string, role: ServiceRole): string | undefined {
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName(service, role));
  return (svc?.spec?.selector as Record<string, string> | undefined)?.[LABELS.revision];
}

/** Stable and canary as their Services select them; the stable falls back to the main Service's choice (before any canary). */
export function tracksOf(objects: readonly KubeObject[], service: string): Pick<TrafficSplit, 'stableRevision' | 'canaryRevision'> {
  const stableRevision = selectedRevision(objects, service, 'stable') ?? selectedRevision(objects, service, 'main');
  const canaryRevision = selectedRevision(objects, service, 'canary');
  return { ...(stableRevision ? { stableRevision } : {}), ...(canaryRevision ? { canaryRevision } : {}) };
}
