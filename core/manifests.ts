/**
 * Renders the Kubernetes objects of a model service from its spec. Pure: the same spec always
 * gives the same objects, so server-side apply is idempotent and a revision's name is stable.
 *
 * Objects of service S in namespace N:
 * - Deployment S-<revision> per revision (pods labelled with the revision; no surge of its own:
 *   the pipeline does the GPU-aware scaling);
 * - Service S (what clients call), S-stable and S-canary (one revision each: analysis and
 *   Gateway API backends);
 * - and what the spec's traffic kind renders besides (core/traffic/), e.g. HTTPRoute S.
 */
import { shortHash } from './hash';
import { engineOf, MODEL_MOUNT } from './server';
import { seconds, tensorParallelSize } from './server/engine';
import { ServerSpec } from './server/spec';
import type { EnvValue, ServiceSpec } from './service-spec';

export const FIELD_MANAGER = 'autoglm-deploy';
export const LABELS = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  revision: 'autoglm.dev/revision',
} as const;
export const ANNOTATIONS = {
  spec: 'autoglm.dev/spec',
  model: 'autoglm.dev/model',
} as const;
export const COMPONENT = 'model-server';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

// Minimal structural types: enough for the objects we render and apply.
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const DEFAULT_SERVER = JSON.stringify(ServerSpec.parse({}));

/** What defines a revision's pods: a change to any of these is a new revision. */
export function revisionOf(spec: ServiceSpec): string {
  const { image, model, container, podAnnotations, version, server } = spec;
  // How long a release queues for GPUs says nothing about the pods.
  const { queueBudget: _queueBudget, ...gpu } = spec.gpu;
  // Serving choices only when they differ from the defaults, so specs without them keep the revisions they always had.
  const serving = {
    ...(model.source ? { source: model.source } : {}),
    ...(JSON.stringify(server) !== DEFAULT_SERVER ? { server } : {}),
  };
  return shortHash(JSON.stringify({ image, model: model.name, gpu, container, podAnnotations, version, ...serving }));
}

export const deploymentName = (service: string, revision: string) => `${service}-${revision}`;

export function serviceSelector(service: string, revision?: string): Record<string, string> {
  return revision ? { [LABELS.name]: service, [LABELS.revision]: revision } : { [LABELS.name]: service, [LABELS.component]: COMPONENT };
}

function envVar(name: string, value: EnvValue) {
  return typeof value === 'string' ? { name, value } : { name, valueFrom: value };
}

/** NCCL and the engine's workers share tensors through /dev/shm: more with more tensor-parallel ranks. */
export const shmSizeOf = (spec: ServiceSpec) => `${2 * tensorParallelSize(spec)}Gi`;

function volumesOf(spec: ServiceSpec) {
  const source = spec.model.source;
  const pvc = source && 'pvc' in source ? source.pvc : undefined;
  return {
    volumes: [
      { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: shmSizeOf(spec) } },
      ...(pvc ? [{ name: 'model', persistentVolumeClaim: { claimName: pvc, readOnly: true } }] : []),
    ],
    mounts: [{ name: 'dshm', mountPath: '/dev/shm' }, ...(pvc ? [{ name: 'model', mountPath: MODEL_MOUNT, readOnly: true }] : [])],
  };
}

export function renderDeployment(spec: ServiceSpec, replicas: number): KubeObject {
  const revision = revisionOf(spec);
  const labels = {
    [LABELS.name]: spec.service,
    [LABELS.component]: COMPONENT,
    [LABELS.managedBy]: FIELD_MANAGER,
    [LABELS.version]: spec.version,
    [LABELS.revision]: revision,
  };
  const loadSeconds = Math.ceil(spec.model.loadBudget / 1000);
  // Short periods: a pod turns Ready within a period of its model loading; the threshold keeps the budget.
  const probePeriod = spec.server.probePeriod / 1000;
  const gpu = String(spec.gpu.perReplica);
  const server = engineOf(spec.server.engine).container(spec);
  const { volumes, mounts } = volumesOf(spec);
  // Stop = wait for the endpoint to be gone everywhere, then drain in-flight requests, then a margin.
  const grace = seconds(spec.server.preStopDelay) + seconds(spec.server.drainTimeout) + 5;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(spec.service, revision),
      namespace: spec.namespace,
      labels,
      // The spec that made this revision, so a rollback can restore it exactly.
      annotations: { [ANNOTATIONS.spec]: JSON.stringify(spec), [ANNOTATIONS.model]: spec.model.name },
    },
    spec: {
      replicas,
      selector: { matchLabels: { [LABELS.name]: spec.service, [LABELS.revision]: revision } },
      // GPU pools have no room for a Deployment's own surge pods.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      progressDeadlineSeconds: loadSeconds + 600,
      template: {
        metadata: { labels, annotations: { ...spec.podAnnotations, [ANNOTATIONS.model]: spec.model.name } },
        spec: {
          nodeSelector: { [spec.gpu.poolLabel]: spec.gpu.pool },
          tolerations: spec.gpu.tolerations,
          terminationGracePeriodSeconds: grace,
          volumes,
          containers: [
            {
              name: COMPONENT,
              image: spec.image,
              command: server.command,
              args: [...server.args, ...spec.container.args],
              env: Object.entries(spec.container.env).map(([name, value]) => envVar(name, value)),
              ports: [{ name: 'http', containerPort: spec.container.port }],
              volumeMounts: mounts,
              // Endpoints drop a terminating pod at once, proxies a little later: keep serving until they have.
              lifecycle: { preStop: { sleep: { seconds: seconds(spec.server.preStopDelay) } } },
              resources: {
                requests: { cpu: spec.container.cpu, memory: spec.container.memory, [spec.gpu.resource]: gpu },
                limits: { memory: spec.container.memory, [spec.gpu.resource]: gpu },
              },
              // Start-up tolerates the whole load budget; readiness follows the served model.
              startupProbe: {
                httpGet: { path: server.healthPath, port: 'http' },
                periodSeconds: probePeriod,
                // Probes at 0, period, 2·period…: the last of N failures comes (N − 1) periods in.
                failureThreshold: Math.ceil(loadSeconds / probePeriod) + 1,
              },
              readinessProbe: { httpGet: { path: server.readyPath, port: 'http' }, periodSeconds: probePeriod, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: server.healthPath, port: 'http' }, periodSeconds: 10, failureThreshold: 6 },
            },
          ],
        },
      },
    },
  };
}

export type ServiceRole = 'main' | 'stable' | 'canary';

export const serviceName = (service: string, role: ServiceRole) => (role === 'main' ? service : `${service}-${role}`);

/** A Service selecting one revision, or (main, during a replica-ratio canary) all revisions. */
export function renderService(spec: ServiceSpec, role: ServiceRole, revision: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(spec.service, role),
      namespace: spec.namespace,
      labels: { [LABELS.name]: spec.service, [LABELS.managedBy]: FIELD_MANAGER },
    },
    spec: { selector: serviceSelector(spec.service, revision), ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };
}

/** Label a namespace with it (value "true") to let its pods reach model services and restored copies (the worker's). */
export const DR_ACCESS_LABEL = 'autoglm.dev/dr-access';
