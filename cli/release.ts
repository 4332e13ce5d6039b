import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { releaseFailureOf } from '../client/release-failure';
import { InvalidSpecError, ReleaseInProgressError, followRelease, releaseHandle, startRelease } from '../client/releases';
import { SpecFileError, parseSpecText } from '../core/spec-file';
import type { ServiceSpec } from '../core/service-spec';
import { describeWarning, specWarnings } from '../core/spec-warnings';
import { abortUpdate, pauseSignal, promoteUpdate, resumeSignal } from '../workflows/messages';
import type { GitHubDeploymentTarget, ReleaseStatus } from '../core/release/types';
import { withClient, type TemporalFlags } from './connect';
import { CliError, EXIT } from './exit-codes';
import { onProgressChange, progressLine } from './progress';
import { failureText } from '../client/workflow-failure';
import { NoWorkerAnsweredError, readReleaseStatus } from '../client/release-status';
import { identity } from './identity';

export interface ServiceFlags extends TemporalFlags {
  service: string;
  k8sNamespace: string;
  json?: boolean;
}

/** Reads and parses an input file; an unreadable file or a SpecFileError is a one-line invalid-input error. */
export function readInputFile<T>(file: string, parse: (text: string, source: string) => T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.invalid);
  }
  try {
    return parse(text, file);
  } catch (err) {
    if (err instanceof SpecFileError) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
}

export const readSpecFile = (file: string) => readInputFile(file, parseSpecText);

/** Says on stderr what a valid spec will do that its author may not expect (core/spec-warnings.ts). */
export function printSpecWarnings(spec: ServiceSpec, file: string): void {
  for (const w of specWarnings(spec)) console.error(`warning: ${file}: ${describeWarning(w)}`);
}

/** Follows a release until it ends, printing a line whenever its status changes. */
async function follow(client: Client, namespace: string, service: string, json: boolean): Promise<number> {
  const print = onProgressChange(
    (line, st) => console.log(json ? JSON.stringify(st) : line),
    json ? (_line, st) => JSON.stringify({ ...st, timings: undefined }) : undefined,
  );
  try {
    const r = await followRelease(releaseHandle(client, namespace, service), print, 500, {
      onReconnecting: (message) => console.error(message),
    });
    console.log(
      json
        ? JSON.stringify(r)
        : `${r.outcome}: ${namespace}/${service} ${r.version} (revision ${r.revision})${r.reason ? ` — ${r.reason}` : ''}`,
    );
    return r.outcome === 'rolled-back' ? EXIT.failed : EXIT.ok;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const failure = releaseFailureOf(err);
      if (json && failure) console.log(JSON.stringify(failure));
      console.error(
        failure
          ? `${failure.outcome === 'refused' ? 'refused' : 'rolled back'} (in ${failure.failedIn}): ${failure.reason}`
          : `failed: ${failureText(err)}`,
      );
      return EXIT.failed;
    }
    throw err;
  }
}

export interface StartFlags extends TemporalFlags {
  wait?: boolean;
  json?: boolean;
  requestedBy?: string;
  /** Overrides, e.g. from a GitHub release: the image that was built and the release's version. */
  image?: string;
  version?: string;
  githubRepo?: string;
  githubRef?: string;
  logUrl?: string;
  environmentUrl?: string;
}

function githubTarget(flags: StartFlags): GitHubDeploymentTarget | undefined {
  if (!flags.githubRepo) return undefined;
  const [owner, repo, ...rest] = flags.githubRepo.split('/');
  if (!owner || !repo || rest.length > 0) throw new CliError(`--github-repo: "${flags.githubRepo}" is not owner/repo`, EXIT.invalid);
  if (!flags.githubRef) throw new CliError('--github-repo needs --github-ref (the tag or commit deployed)', EXIT.invalid);
  return {
    owner,
    repo,
    ref: flags.githubRef,
    ...(flags.logUrl ? { logUrl: flags.logUrl } : {}),
    ...(flags.environmentUrl ? { environmentUrl: flags.environmentUrl } : {}),
  };
}

/** How long `release start` waits for the worker to say whether the spec's GPU pool exists. */
const POOL_CHECK_MS = 15_000;

export async function releaseStart(file: string, flags: StartFlags): Promise<number> {
  const read = readSpecFile(file);
  printSpecWarnings(read, file);
  const spec = {
    ...read,
    ...(flags.image ? { image: flags.image } : {}),
    ...(flags.version ? { version: flags.version } : {}),
  };
  const github = githubTarget(flags);
  return withClient(flags, async (client, taskQueue) => {
    try {
      const handle = await startRelease(client, spec, {
        taskQueue,
        requestedBy: identity(flags.requestedBy),
        checkPoolWithinMs: POOL_CHECK_MS,
        ...(github ? { github } : {}),
      });
      console.log(
        flags.json
          ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })
          : `started ${handle.workflowId} (${spec.namespace}/${spec.service} ${spec.version})`,
      );
    } catch (err) {
      if (err instanceof ReleaseInProgressError) throw new CliError(err.message, EXIT.conflict);
      if (err instanceof InvalidSpecError) throw new CliError(err.message, EXIT.invalid);
      throw err;
    }
    return flags.wait ? follow(client, spec.namespace, spec.service, !!flags.json) : EXIT.ok;
  });
}

async function onRelease<T>(flags: ServiceFlags, fn: (handle: ReturnType<typeof releaseHandle>, client: Client) => Promise<T>): Promise<T> {
  return withClient(flags, async (client) => {
    try {
      return await fn(releaseHandle(client, flags.k8sNamespace, flags.service), client);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new CliError(`no release of ${flags.k8sNamespace}/${flags.service} found`, EXIT.unavailable);
      throw err;
    }
  });
}

/** How long `release status` waits for a worker to answer about a running release. */
const STATUS_QUERY_MS = 10_000;

export const releaseStatus = (flags: ServiceFlags) =>
  onRelease(flags, async (handle, client) => {
    let view;
    try {
      view = await readReleaseStatus(client, handle.workflowId, STATUS_QUERY_MS);
    } catch (err) {
      if (err instanceof NoWorkerAnsweredError) throw new CliError(err.message, EXIT.unavailable);
      throw err;
    }
    const st: ReleaseStatus = view.status;
    console.log(flags.json ? JSON.stringify(st) : progressLine(st, Date.now() - Date.parse(st.startedAt)));
    return EXIT.ok;
  });

export const releaseWatch = (flags: ServiceFlags) =>
  onRelease(flags, (_h, client) => follow(client, flags.k8sNamespace, flags.service, !!flags.json));

/** Steering needs a release in flight: one that has ended is "not found" (exit 4), said with how it ended. */
async function inFlight(h: ReturnType<typeof releaseHandle>, flags: ServiceFlags): Promise<void> {
  const { status } = await h.describe();
  if (status.name !== 'RUNNING')
    throw new CliError(
      `no release of ${flags.k8sNamespace}/${flags.service} in flight (the latest ended: ${status.name.toLowerCase()})`,
      EXIT.unavailable,
    );
}

export const releasePause = (flags: ServiceFlags & { reason?: string }) =>
  onRelease(flags, async (h) => {
    await inFlight(h, flags);
    await h.signal(pauseSignal, { ...(flags.reason ? { reason: flags.reason } : {}) });
    console.log(`pause sent to ${h.workflowId}`);
    return EXIT.ok;
  });

export const releaseResume = (flags: ServiceFlags) =>
  onRelease(flags, async (h) => {
    await inFlight(h, flags);
    await h.signal(resumeSignal);
    console.log(`resume sent to ${h.workflowId}`);
    return EXIT.ok;
  });

/** Updates are validated by the workflow: a refusal (not at a gate, already finished) is bad input. */
async function update<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const msg = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    if (err instanceof WorkflowNotFoundError) throw err;
    throw new CliError(`refused: ${msg}`, EXIT.invalid);
  }
}

export const releasePromote = (flags: ServiceFlags & { approver?: string }) =>
  onRelease(flags, async (h) => {
    await inFlight(h, flags);
    const ack = await update(() => h.executeUpdate(promoteUpdate, { args: [{ approver: identity(flags.approver) }] }));
    console.log(`promoted past step ${ack.step} of ${h.workflowId}`);
    return EXIT.ok;
  });

export const releaseAbort = (flags: ServiceFlags & { reason: string; by?: string }) =>
  onRelease(flags, async (h) => {
    await inFlight(h, flags);
    const ack = await update(() => h.executeUpdate(abortUpdate, { args: [{ reason: flags.reason, by: identity(flags.by) }] }));
    console.log(`abort accepted while ${ack.phase}; rolling back ${h.workflowId}`);
    return EXIT.ok;
  });
