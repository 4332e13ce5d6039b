import type { createKubernetesActivities } from '../../activities/kubernetes';
import type { ServiceState } from '../../activities/kubernetes/service-state';
import type { createSupplyChainActivities } from '../../activities/supplychain';
import type { createTrafficActivities } from '../../activities/traffic';
import type { createGpuLedgerActivities } from '../../activities/temporal/gpu-ledger';
import { summarizePool } from '../../core/gpu-capacity';
import { emptyLedger, releaseReservation, reserve } from '../../core/gpu-reservations';
import type { KubeObject } from '../../core/manifests';
import type { RevisionRecord } from '../../core/revision-history';

type Activities = ReturnType<typeof createKubernetesActivities> &
  ReturnType<typeof createGpuLedgerActivities> &
  ReturnType<typeof createTrafficActivities> &
  Pick<ReturnType<typeof createSupplyChainActivities>, 'verifyImage'>;

/**
 * Scripted activities for workflow control-flow tests: a pool of `nodes` × 8 GPUs, a stable
 * revision of `stableReplicas` pods, and a log of every call in order.
 */
export function fakeCluster(opts: {
  nodes: number;
  usedPerNode: number[];
  stableReplicas: number;
  failWait?: (input: { selector: string; replicas: number }) => Error | undefined;
}) {
  const calls: { name: string; input: unknown }[] = [];
  const snapshot: KubeObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'llm-stable01', namespace: 'ns' },
      spec: { replicas: opts.stableReplicas },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llm', namespace: 'ns' },
      spec: { selector: { 'autoglm.dev/revision': 'stable01' } },
    },
  ];
  const state: ServiceState = {
    namespace: 'ns',
    service: 'llm',
    stableRevision: 'stable01',
    snapshot,
    revisions: opts.stableReplicas
      ? [
          {
            deployment: 'llm-stable01',
            revision: 'stable01',
            version: 'v1',
            image: 'img@sha256:0',
            replicas: opts.stableReplicas,
            readyReplicas: opts.stableReplicas,
            gpusPerReplica: 8,
          },
        ]
      : [],
  };
  const history: RevisionRecord[] = [];
  // The pool's GPU ledger, in memory (not logged in `calls`: the cluster is not asked).
  let ledger = emptyLedger();
  const log = (name: string) => async (input: unknown) => {
    calls.push({ name, input });
  };
  const activities: Activities = {
    readServiceState: async (input) => {
      calls.push({ name: 'readServiceState', input });
      return state;
    },
    readPoolCapacity: async (input) => {
      calls.push({ name: 'readPoolCapacity', input });
      const nodes = opts.usedPerNode.map((_, i) => ({
        name: `n${i}`,
        labels: { pool: 'a100' },
        allocatableGpus: 8,
        ready: true,
        unschedulable: false,
      }));
      const pods = opts.usedPerNode.map((u, i) => ({
        name: `p${i}`,
        namespace: 'ns',
        nodeName: `n${i}`,
        phase: 'Running',
        containers: [{ gpus: u }],
        initContainers: [],
      }));
      return summarizePool('a100', 'pool', nodes, pods);
    },
    applyObjects: log('applyObjects'),
    deleteObjects: log('deleteObjects'),
    scaleRevision: log('scaleRevision'),
    waitForRevision: async (input) => {
      calls.push({ name: 'waitForRevision', input });
      const err = opts.failWait?.(input);
      if (err) throw err;
      return { pods: input.replicas, ready: input.replicas };
    },
    readRevisionHistory: async (input) => {
      calls.push({ name: 'readRevisionHistory', input });
      return history;
    },
    recordRevision: async (input) => {
      calls.push({ name: 'recordRevision', input });
      history.unshift(input.record);
    },
    setTrafficWeights: log('setTrafficWeights'),
    settleTraffic: log('settleTraffic'),
    // Pins a tag to a made-up digest; no signatures are asked for in these tests.
    verifyImage: async (input) => {
      calls.push({ name: 'verifyImage', input });
      const digest = `sha256:${'b'.repeat(64)}`;
      return { reference: `${input.image.replace(/:[^:/]+$/, '')}@${digest}`, digest, signatures: [] };
    },
    readGpuLedger: async () => ledger,
    reserveGpus: async ({ reservation, readVersion, slack }) => {
      const r = reserve(ledger, reservation, readVersion, slack);
      ledger = r.ledger;
      return { ok: r.ok };
    },
    releaseGpus: async ({ holder, runId }) => {
      ledger = releaseReservation(ledger, holder, runId);
    },
    readTrafficSplit: async (input) => {
      calls.push({ name: 'readTrafficSplit', input });
      const last = calls.filter((c) => c.name === 'setTrafficWeights').at(-1)?.input as
        { target: { stableRevision: string; canaryRevision: string; canaryWeight: number } } | undefined;
      return last ? last.target : { stableRevision: 'stable01', canaryWeight: 0 };
    },
  };
  return { activities, calls, state, history, ledger: () => ledger };
}
