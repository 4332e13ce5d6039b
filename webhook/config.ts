/**
 * The receiver's configuration: which service spec each repository's releases deploy, read from
 * a YAML/JSON file (specs relative to it) and checked whole at start-up; the secret comes from the
 * environment only.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseSpecText, parseYamlText, SpecFileError } from '../core/spec-file';
import type { ServiceSpec } from '../core/service-spec';
import { describeIssues } from '../core/validation';

const RepositoryEntry = z.object({
  /** The service spec file this repository's releases deploy (image and version come from the release). */
  spec: z.string().min(1),
  /** Deploy pre-releases too (default: ignore them). */
  prereleases: z.boolean().default(false),
  environmentUrl: z.string().url().optional(),
});

export const ReceiverFile = z.object({
  repositories: z
    .record(z.string(), RepositoryEntry)
    .refine((r) => Object.keys(r).length > 0, 'at least one repository')
    .superRefine((r, ctx) => {
      for (const name of Object.keys(r))
        if (!/^[^/\s]+\/[^/\s]+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not owner/repo' });
    }),
  /** Linked from deployment statuses; `{workflowId}` becomes the release's workflow ID. */
  logUrl: z.string().min(1).optional(),
  /** Where GitHub posts; anything else is 404. */
  path: z.string().startsWith('/').default('/webhooks/github'),
  /** How long a delivery waits for its release to start before it is answered 202 `accepted`. */
  waitForStartMs: z.number().int().min(0).max(9000).default(5000),
});

export interface RepositoryTarget {
  spec: ServiceSpec;
  prereleases: boolean;
  environmentUrl?: string;
}

export interface ReceiverConfig {
  secret: string;
  path: string;
  logUrl?: string;
  waitForStartMs: number;
  /** By `owner/repo`, lower case (GitHub names are case-insensitive). */
  repositories: Map<string, RepositoryTarget>;
}

export class ReceiverConfigError extends Error {
  override name = 'ReceiverConfigError';
}

export function loadReceiverConfig(file: string, secret: string | undefined): ReceiverConfig {
  if (!secret) throw new ReceiverConfigError('set GITHUB_WEBHOOK_SECRET: the receiver refuses to run without verifying signatures');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ReceiverConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYamlText(text, file);
  } catch (err) {
    if (err instanceof SpecFileError) throw new ReceiverConfigError(err.message);
    throw err;
  }
  const parsed = ReceiverFile.safeParse(data);
  if (!parsed.success) throw new ReceiverConfigError(`${file}: ${describeIssues(parsed.error)}`);
  const repositories = new Map<string, RepositoryTarget>();
  for (const [name, entry] of Object.entries(parsed.data.repositories)) {
    const specFile = resolve(dirname(file), entry.spec);
    let spec: ServiceSpec;
    try {
      spec = parseSpecText(readFileSync(specFile, 'utf8'), specFile);
    } catch (err) {
      if (err instanceof SpecFileError) throw new ReceiverConfigError(`${file}: repository ${name}: ${err.message}`);
      throw new ReceiverConfigError(
        `${file}: repository ${name}: cannot read ${specFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    repositories.set(name.toLowerCase(), {
      spec,
      prereleases: entry.prereleases,
      ...(entry.environmentUrl ? { environmentUrl: entry.environmentUrl } : {}),
    });
  }
  const { path, logUrl, waitForStartMs } = parsed.data;
  return { secret, path, waitForStartMs, repositories, ...(logUrl ? { logUrl } : {}) };
}
