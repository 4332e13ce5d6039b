import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { stackDir } from './paths';

/** What `stack:up` wrote down about a running stack: enough for tests, the demo and `stack:down`. */
export const StackState = z.object({
  name: z.string(),
  dir: z.string(),
  startedAt: z.string(),
  temporal: z.object({ pid: z.number(), address: z.string(), uiUrl: z.string(), metricsPort: z.number(), dbFile: z.string() }).optional(),
  kubernetes: z.object({ cluster: z.string(), kubeconfig: z.string(), server: z.string() }).optional(),
  alertmanager: z.object({ pid: z.number(), url: z.string() }).optional(),
  prometheus: z.object({ pid: z.number(), url: z.string(), fileSdDir: z.string(), rulesDir: z.string() }).optional(),
  registry: z.object({ pid: z.number(), host: z.string(), url: z.string() }).optional(),
  modelWorld: z.object({ pid: z.number(), routerUrl: z.string(), gateway: z.string() }).optional(),
  /** SeaweedFS with its S3 gateway; the access key pair is the one its identity config grants. */
  s3: z
    .object({ pid: z.number(), endpoint: z.string(), region: z.string(), accessKeyId: z.string(), secretAccessKey: z.string() })
    .optional(),
  /** The test sigstore (CA, CT log, transparency log keys): files, no process. */
  sigstore: z.object({ trustedRoot: z.string() }).optional(),
});
export type StackState = z.infer<typeof StackState>;

const stateFile = (name: string) => join(stackDir(name), 'state.json');

export function readState(name: string): StackState | undefined {
  const file = stateFile(name);
  if (!existsSync(file)) return undefined;
  return StackState.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function writeState(state: StackState): void {
  mkdirSync(state.dir, { recursive: true });
  const file = stateFile(state.name);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file); // atomic: a reader never sees half a file
}

/** The environment the product reads its endpoints from: the only thing that differs from production. */
export function stackEnv(state: StackState): Record<string, string> {
  const env: Record<string, string> = {};
  if (state.temporal) env.TEMPORAL_ADDRESS = state.temporal.address;
  if (state.kubernetes) env.KUBECONFIG = state.kubernetes.kubeconfig;
  if (state.prometheus) env.PROMETHEUS_URL = state.prometheus.url;
  if (state.alertmanager) env.ALERTMANAGER_URL = state.alertmanager.url;
  if (state.registry) env.OCI_REGISTRY = state.registry.host;
  if (state.modelWorld) {
    env.MODEL_ROUTER_URL = state.modelWorld.routerUrl;
    // The worker reaches a model Service through the router, naming it in the Host header.
    env.AUTOGLM_SERVICE_URL = state.modelWorld.routerUrl;
    env.AUTOGLM_SERVICE_HOST = '{service}.{namespace}';
    env.AUTOGLM_GATEWAY_URL = state.modelWorld.routerUrl;
  }
  if (state.s3) {
    // As a worker would get them in a cluster: the endpoint of the store, AWS' usual variables for the keys.
    env.AUTOGLM_S3_ENDPOINT = state.s3.endpoint;
    env.AWS_REGION = state.s3.region;
    env.AWS_ACCESS_KEY_ID = state.s3.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = state.s3.secretAccessKey;
  }
  if (state.sigstore) env.AUTOGLM_SIGSTORE_TRUSTED_ROOT = state.sigstore.trustedRoot;
  return env;
}
