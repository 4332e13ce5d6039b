/** `autoglm-deploy loadtest`: the pipeline's load generator run by hand against a service. */
import { writeFileSync } from 'node:fs';
import { runLoad } from '../activities/model-service/loadgen/run';
import { LoadStats } from '../activities/model-service/loadgen/stats';
import { serviceName } from '../core/manifests';
import { LoadProfile } from '../core/analysis/spec';
import { parseDuration } from '../core/duration';
import { loadReportMarkdown } from '../core/loadgen/report';
import { describeIssues } from '../core/validation';
import { CliError, EXIT } from './exit-codes';
import { readSpecFile } from './release';

export interface LoadtestOptions {
  url: string;
  host?: string;
  mode?: string;
  rate?: string;
  concurrency?: string;
  duration?: string;
  target?: string;
  json?: boolean;
  markdown?: string;
}

/** The spec's `loadTest` profile (defaults if it has none), with the flags on top. */
export async function loadtest(file: string, o: LoadtestOptions): Promise<number> {
  const spec = readSpecFile(file);
  const duration = o.duration === undefined ? undefined : parseDuration(o.duration);
  if (o.duration !== undefined && duration === undefined)
    throw new CliError(`--duration: "${o.duration}" is not a duration such as 30s or 5m`, EXIT.invalid);
  const parsed = LoadProfile.safeParse({
    ...(spec.loadTest ?? {}),
    ...(o.mode ? { mode: o.mode } : {}),
    ...(o.rate ? { rate: Number(o.rate) } : {}),
    ...(o.concurrency ? { concurrency: Number(o.concurrency) } : {}),
    ...(duration !== undefined ? { duration } : {}),
    ...(o.target ? { target: o.target } : {}),
  });
  if (!parsed.success) throw new CliError(`invalid load profile: ${describeIssues(parsed.error)}`, EXIT.invalid);
  const profile = parsed.data;
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new CliError(`--url: not a URL: ${o.url}`, EXIT.invalid);
  }
  const service = profile.target === 'canary' ? serviceName(spec.service, 'canary') : spec.service;
  const stats = new LoadStats({ e2eMs: spec.slos.p95LatencyMs, ...(spec.slos.ttftP95Ms ? { ttftMs: spec.slos.ttftP95Ms } : {}) });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  if (!o.json)
    console.error(
      `load: ${profile.mode}${profile.mode === 'concurrency' ? ` ×${profile.concurrency}` : ` ${profile.rate} req/s`} for ${profile.duration / 1000} s → ${url.href}${o.host ? ` (Host ${o.host})` : ''} [${spec.namespace}/${service}]`,
    );
  await runLoad({
    endpoint: { url, ...(o.host ? { host: o.host } : {}) },
    model: spec.model.name,
    profile,
    fromMs: 0,
    toMs: profile.duration,
    seed: 1,
    stats,
    signal: stop.signal,
  });
  const summary = stats.summary();
  const markdown = loadReportMarkdown(`Load test: ${spec.namespace}/${service} ${spec.version}`, summary);
  if (o.markdown) writeFileSync(o.markdown, `${markdown}\n`);
  console.log(o.json ? JSON.stringify(summary) : markdown);
  return EXIT.ok;
}
