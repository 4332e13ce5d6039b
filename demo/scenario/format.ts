/**
 * A demo scenario: a JSON/YAML file naming the images to build, a service spec, and steps
 * (releases with their canary's simulated behaviour and faults, on-call rollbacks), each with the
 * outcome it must have. `npm run demo -- --scenario FILE` runs it; docs/scenarios.md is the guide.
 */
import { z } from 'zod';
import { SpecFileError, parseYamlText } from '../../core/spec-file';
import { ServiceSpec, type ServiceSpecInput } from '../../core/service-spec';
import { describeIssues } from '../../core/validation';
import { PERF_ENV } from '../../infra/dev/model-world/behaviour';

/** A SpecFileError, so the CLI's file reader reports it in one line with exit 2. */
export class ScenarioFileError extends SpecFileError {
  override name = 'ScenarioFileError';
}

const duration = z.string().regex(/^\d+(ms|s|m)$/, 'a duration like 500ms, 5s or 2m');

/** How a version's simulated model server performs (the simulator's SIM_* variables). */
const Performance = z.strictObject({
  ttftMs: z.number().min(0).optional(),
  tokensPerSecond: z.number().positive().optional(),
  errorRate: z.number().min(0).max(1).optional(),
  gpuMemoryUtilization: z.number().min(0).max(1).optional(),
});

export const Behaviour = Performance.extend({
  /** How long the model takes to load before the server is ready. */
  modelLoad: duration.optional(),
  /** Makes every answer differ from other versions' (golden prompts notice). */
  answerSalt: z.string().optional(),
  /** From `after` the server started on, these replace its normal performance. */
  fault: Performance.extend({ after: duration }).optional(),
});
export type Behaviour = z.infer<typeof Behaviour>;

export const ReleaseOutcomeExpected = z.enum(['promoted', 'unchanged', 'rolled-back', 'refused']);
export const RollbackOutcomeExpected = z.enum(['rolled-back', 'unchanged', 'failed']);

const expectation = <T extends z.ZodTypeAny>(outcome: T) =>
  z.strictObject({
    outcome,
    /** Text the reason must contain (case-insensitive): what the pipeline says it did and why. */
    reason: z.string().min(1).optional(),
  });

const ReleaseStep = z.strictObject({
  version: z.string().min(1),
  /** One of the scenario's images, by name. */
  image: z.string().min(1),
  canary: Behaviour.optional(),
  /** Merged over the scenario's `service` for this release only (objects merge, lists replace). */
  spec: z.record(z.string(), z.unknown()).optional(),
  expect: expectation(ReleaseOutcomeExpected),
});

const RollbackStep = z.strictObject({
  reason: z.string().min(1),
  /** A revision or version; default: what served before the serving one. */
  to: z.string().min(1).optional(),
  expect: expectation(RollbackOutcomeExpected).extend({ version: z.string().optional() }),
});

type Step = { release: z.infer<typeof ReleaseStep> } | { rollback: z.infer<typeof RollbackStep> };

// Not a z.union: a union reports only "Invalid input", where a step's own errors name the field.
const Step = z
  .strictObject({ release: ReleaseStep.optional(), rollback: RollbackStep.optional() })
  .refine((s) => (s.release === undefined) !== (s.rollback === undefined), 'a step is either `release` or `rollback`')
  .transform((s): Step => (s.release ? { release: s.release } : { rollback: s.rollback! }));

export const Scenario = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Model-server images built and pushed for this run; signed with the stack's key unless `signed: false`. */
  images: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,40}$/, 'an image name like v1 or v2.1 (lower case)'),
      z.strictObject({ signed: z.boolean().default(true) }),
    )
    .refine((m) => Object.keys(m).length > 0, 'at least one image'),
  /** A service spec without `version` and `image`; the stack's cosign key is added unless it sets `supplyChain`. */
  service: z.record(z.string(), z.unknown()),
  steps: z.array(Step).min(1),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioStep = Scenario['steps'][number];
export type ReleaseStepSpec = Extract<ScenarioStep, { release: unknown }>['release'];

/** The simulator's container variables for a behaviour (infra/dev/model-world/behaviour.ts reads them). */
export function behaviourEnv(b: Behaviour | undefined): Record<string, string> {
  if (!b) return {};
  const env: Record<string, string> = {};
  const perf = (p: z.infer<typeof Performance>, prefix: string) => {
    for (const [key, name] of Object.entries(PERF_ENV)) {
      const v = p[key as keyof typeof p];
      if (v !== undefined) env[`${prefix}${name}`] = String(v);
    }
  };
  perf(b, 'SIM_');
  if (b.modelLoad) env.SIM_MODEL_LOAD_DELAY = b.modelLoad;
  if (b.answerSalt !== undefined) env.SIM_ANSWER_SALT = b.answerSalt;
  if (b.fault) {
    env.SIM_FAULT_AFTER = b.fault.after;
    perf(b.fault, 'SIM_FAULT_');
  }
  return env;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else (lists included) in `over` replaces what `base` had. */
export function mergeSpec(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeSpec(out[k], v) : v;
  return out;
}

/** The spec a release step deploys: service, then the step's spec, its canary's variables, version and image. */
export function releaseSpec(scenario: Scenario, step: ReleaseStepSpec, image: string, cosignKey: string): ServiceSpecInput {
  let spec = mergeSpec(scenario.service, step.spec ?? {});
  spec = mergeSpec(spec, { version: step.version, image, container: { env: behaviourEnv(step.canary) } });
  if (spec.supplyChain === undefined) spec.supplyChain = { cosignKeys: [cosignKey] };
  return spec as ServiceSpecInput;
}

const PLACEHOLDER_IMAGE = `registry.invalid/scenario/check@sha256:${'0'.repeat(64)}`;
const PLACEHOLDER_KEY = '-----BEGIN PUBLIC KEY-----\nplaceholder\n-----END PUBLIC KEY-----\n';

/** Parses and checks a scenario file's text: every release's spec must be valid before anything runs. */
export function parseScenarioText(text: string, source: string): Scenario {
  const parsed = Scenario.safeParse(parseYamlText(text, source));
  if (!parsed.success) throw new ScenarioFileError(`${source}: invalid scenario: ${describeIssues(parsed.error)}`);
  const scenario = parsed.data;
  for (const [k, key] of ['version', 'image'].entries()) {
    if (key in scenario.service)
      throw new ScenarioFileError(
        `${source}: service: leave out "${key}" (each release step sets it)${k === 1 ? '; images are built by the scenario' : ''}`,
      );
  }
  scenario.steps.forEach((step, i) => {
    if (!('release' in step)) return;
    const where = `${source}: steps[${i}] (release ${step.release.version})`;
    if (!(step.release.image in scenario.images))
      throw new ScenarioFileError(`${where}: unknown image "${step.release.image}" (images: ${Object.keys(scenario.images).join(', ')})`);
    const spec = ServiceSpec.safeParse(releaseSpec(scenario, step.release, PLACEHOLDER_IMAGE, PLACEHOLDER_KEY));
    if (!spec.success) throw new ScenarioFileError(`${where}: invalid service spec: ${describeIssues(spec.error)}`);
    const { service, namespace } = scenarioService(scenario);
    if (spec.data.service !== service || spec.data.namespace !== namespace)
      throw new ScenarioFileError(
        `${where}: a scenario releases one service (${namespace}/${service}); set service and namespace under service only`,
      );
  });
  return scenario;
}

/** The service a scenario releases, with its namespace (checked by parseScenarioText). */
export function scenarioService(scenario: Scenario): { service: string; namespace: string } {
  return { service: String(scenario.service.service), namespace: String(scenario.service.namespace) };
}
