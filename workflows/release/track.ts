/** One revision's Deployment as the release moves it, and the traffic split between two of them. */
import { LABELS, deploymentName } from '../../core/manifests';
import type { PlannedStep, PromotionMove } from '../../core/rollout-plan';
import type { ServiceSpec } from '../../core/service-spec';
import type { TrackReplicas } from '../../core/release/types';
import { cluster, waitForRevision } from '../activity-proxies';
import type { ReleaseRun } from './run';

/** One revision's Deployment: scaled, then waited on until exactly that many pods are Ready. */
export class Track {
  readonly deployment: string;
  constructor(
    readonly namespace: string,
    readonly service: string,
    readonly revision: string,
    private readonly budgetMs: number,
    private readonly gpuResource: string,
    private readonly replicas: TrackReplicas,
    /** Forward moves hold each pod to the model-load budget; a rollback restoring the stable does not fail on a slow load. */
    private readonly loadBudgetMs?: number,
    /** The pool scales (gpu.autoscaling): pods waiting for nodes are waited on, said through `waiting`. */
    private readonly scaleUp?: { budgetMs: number; pool: string; waiting: (reason: string) => void },
  ) {
    this.deployment = deploymentName(service, revision);
    replicas.revision = revision;
  }

  async scaleTo(n: number): Promise<void> {
    this.replicas.desired = n;
    await cluster.scaleRevision({ namespace: this.namespace, deployment: this.deployment, replicas: n });
    const started = Date.now();
    const wait = (budgetMs: number, scaleUp?: { mode: 'report' | 'tolerate'; budgetMs: number }) =>
      waitForRevision(budgetMs)({
        namespace: this.namespace,
        selector: `${LABELS.name}=${this.service},${LABELS.revision}=${this.revision}`,
        replicas: n,
        budgetMs,
        ...(this.loadBudgetMs !== undefined ? { loadBudgetMs: this.loadBudgetMs } : {}),
        gpuResource: this.gpuResource,
        what: `revision ${this.revision} of ${this.namespace}/${this.service} at ${n} replicas`,
        ...(scaleUp ? { scaleUp } : {}),
      });
    let progress = await wait(this.budgetMs, this.scaleUp && { mode: 'report', budgetMs: this.scaleUp.budgetMs });
    if (progress.unschedulable && this.scaleUp) {
      // Said in the status while the autoscaler adds nodes; the step's budget is shared by both waits.
      this.scaleUp.waiting(
        `waiting for pool ${this.scaleUp.pool} to scale up: pod ${progress.unschedulable.pod} unschedulable (${progress.unschedulable.message})`,
      );
      const left = Math.max(1_000, this.budgetMs - (Date.now() - started));
      progress = await wait(left, { mode: 'tolerate', budgetMs: Math.min(left, this.scaleUp.budgetMs) });
      this.scaleUp.waiting(`pool ${this.scaleUp.pool} scaled up: ${progress.ready}/${n} Ready`);
    }
    this.replicas.ready = progress.ready;
  }
}

/** Both tracks to the move's counts, in its order: stable-first frees the GPUs (pods gone, not just terminating) before the canary grows. */
export async function moveTo(
  move: Pick<PlannedStep, 'canaryReplicas' | 'stableReplicas' | 'order'>,
  canary: Track,
  stable: Track,
): Promise<void> {
  if (move.order === 'stable-first') {
    await stable.scaleTo(move.stableReplicas);
    await canary.scaleTo(move.canaryReplicas);
  } else {
    await canary.scaleTo(move.canaryReplicas);
    await stable.scaleTo(move.stableReplicas);
  }
}

export const weightOf = (m: PromotionMove) => Math.round((100 * m.canaryReplicas) / Math.max(1, m.canaryReplicas + m.stableReplicas));

export async function setWeights(
  run: ReleaseRun,
  spec: ServiceSpec,
  stableRevision: string,
  canaryRevision: string,
  canaryWeight: number,
): Promise<void> {
  await cluster.setTrafficWeights({ spec, target: { stableRevision, canaryRevision, canaryWeight } });
  run.status.weights = { stable: 100 - canaryWeight, canary: canaryWeight };
}
