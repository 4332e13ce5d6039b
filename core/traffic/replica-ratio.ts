/**
 * Traffic kind `replica-ratio`: no gateway. The service's own Service spreads requests over its
 * ready pods, so the canary's share is its share of the pods. Weight 0 selects the stable
 * revision alone, 100 the canary alone, anything between both revisions.
 */
import { z } from 'zod';
import { renderService } from '../manifests';
import type { TrafficKind } from './kind';
import { SERVICE_TYPE, selectedRevision, serviceRefs, tracksOf } from './services';

/** Traffic follows the ratio of ready canary to stable pods behind the service. */
export const ReplicaRatioTraffic = z.strictObject({ kind: z.literal('replica-ratio') });

export const replicaRatio: TrafficKind<'replica-ratio'> = {
  kind: 'replica-ratio',
  exactWeights: false,
  objectTypes: [SERVICE_TYPE],
  ownedObjects: serviceRefs,
  render(spec, _traffic, t) {
    const revision = t.canaryWeight <= 0 ? t.stableRevision : t.canaryWeight >= 100 ? t.canaryRevision : undefined;
    // The per-track Services carry no traffic share; they let golden prompts and per-track checks reach one revision.
    return [
      renderService(spec, 'stable', t.stableRevision),
      renderService(spec, 'canary', t.canaryRevision),
      renderService(spec, 'main', revision),
    ];
  },
  settled: (spec, _traffic, revision) => [renderService(spec, 'stable', revision), renderService(spec, 'main', revision)],
  splitOf(objects, service) {
    if (!objects.some((o) => o.kind === 'Service')) return undefined;
    const tracks = tracksOf(objects, service);
    const main = selectedRevision(objects, service, 'main');
    // The main Service selecting every revision: the split is the share of ready pods.
    if (!main) return tracks;
    return { ...tracks, canaryWeight: main === tracks.canaryRevision && main !== tracks.stableRevision ? 100 : 0 };
  },
  ingressNamespaces: () => [],
  hostnames: () => [],
  credentials: () => undefined,
  isolated: (object) => object,
};
