import { z } from 'zod';
import { dnsLabel } from './dns-label';

/** One key of a Secret or ConfigMap in the service's namespace, as Kubernetes names it. */
export const KeyRef = z.object({ name: dnsLabel, key: z.string().min(1) }).strict();
export type KeyRef = z.infer<typeof KeyRef>;

/**
 * What clients present to the service's route when its gateway requires it (an Envoy Gateway
 * SecurityPolicy `jwt`, say): a bearer token kept in a Secret. The spec and the workflow's history
 * hold the reference only; the worker reads the token when it sends requests.
 */
export const RouteCredentials = z.object({ bearerToken: z.object({ secretKeyRef: KeyRef }).strict() }).strict();
export type RouteCredentials = z.infer<typeof RouteCredentials>;
