import type { MetricMeter, MetricTags } from '@temporalio/common';
import { fingerprintOf } from '../../activities/backup/fingerprint';
import { protectionMeter } from '../../activities/backup/protection-meter';
import { backupIdAt, timeOfBackupId } from '../../core/drill/retention';
import { debounceDecision, exposedSince, type DebounceDecision } from '../../core/protect/debounce';
import { rpoFigures } from '../../core/protect/rpo';
import { ProtectSpec } from '../../core/protect/spec';
import { parseYamlText } from '../../core/spec-file';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const S = 1000;

describe('when a seen change is backed up', () => {
  it.each<[string, { first: number; last: number }, number, DebounceDecision]>([
    ['just seen: wait out the debounce', { first: 0, last: 0 }, 1 * S, { action: 'wait', forMs: 4 * S }],
    ['quiet for the debounce', { first: 0, last: 0 }, 5 * S, { action: 'back-up', why: 'quiet' }],
    ['a later change restarts the debounce', { first: 0, last: 4 * S }, 6 * S, { action: 'wait', forMs: 3 * S }],
    ['the debounce never passes maxDelay', { first: 0, last: 18 * S }, 19 * S, { action: 'wait', forMs: 1 * S }],
    ['busy past maxDelay: back up anyway', { first: 0, last: 19.5 * S }, 20 * S, { action: 'back-up', why: 'max-delay' }],
    ['late poll after both: max-delay wins', { first: 0, last: 1 * S }, 30 * S, { action: 'back-up', why: 'max-delay' }],
  ])('%s', (_, p, now, expected) => {
    expect(debounceDecision({ firstSeenMs: p.first, lastSeenMs: p.last }, now, 5 * S, 20 * S)).toEqual(expected);
  });
});

describe('when data started to be at risk', () => {
  it.each<[string, number, number | undefined, number, number]>([
    ['the recorded change time', 100 * S, 97 * S, 90 * S, 97 * S],
    ['the time seen, with no recorded time (a deletion)', 100 * S, undefined, 90 * S, 100 * S],
    ['never later than seen (clock skew)', 100 * S, 105 * S, 90 * S, 100 * S],
    ['after the last backup read the service, though recorded to the second before it', 100 * S, 90 * S, 90.5 * S, 90.5 * S + 1],
  ])('%s', (_, seen, recorded, protectedThrough, expected) => {
    expect(exposedSince(seen, recorded, protectedThrough)).toBe(expected);
  });
});

describe('RPO figures', () => {
  const c = (exposedAt: number, verifiedAt: number) => ({ exposedAt, verifiedAt, backupId: 'b' });
  it('per change, with those over target counted', () => {
    const changes = Array.from({ length: 100 }, (_, i) => c(i * 10 * S, i * 10 * S + (i + 1) * 100));
    changes.push(c(0, 70 * S));
    const f = rpoFigures(changes, 60 * S);
    expect(f.changes).toBe(101);
    expect(f.maxMs).toBe(70 * S);
    expect(f.overTarget).toBe(1);
    expect(f.p50Ms).toBe(5100);
    expect(f.p99Ms).toBeGreaterThan(9900);
  });
  it('none yet: zeros', () => expect(rpoFigures([], 60 * S)).toEqual({ changes: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, overTarget: 0 }));
});

describe('the protection spec', () => {
  const base = { namespace: 'prod', service: 'llm', backupStore: { kind: 's3', bucket: 'backups' } };
  it('accepts the shipped example', () => {
    const text = readFileSync(join(__dirname, '../../examples/protect/autoglm.yaml'), 'utf8');
    expect(ProtectSpec.parse(parseYamlText(text, 'autoglm.yaml'))).toMatchObject({ service: 'autoglm', retention: { keepLast: 48 } });
  });
  it('fills the defaults', () => {
    expect(ProtectSpec.parse(base)).toMatchObject({
      debounce: 5 * S,
      maxDelay: 20 * S,
      pollInterval: 2 * S,
      verifyEvery: 3600 * S,
      rpoTarget: 60 * S,
    });
  });
  it.each<[string, object, RegExp]>([
    ['debounce past maxDelay', { debounce: '30s', maxDelay: '20s' }, /debounce cannot be longer than maxDelay/],
    ['maxDelay not under the RPO target', { maxDelay: '60s' }, /maxDelay must be shorter than rpoTarget/],
    ['polling slower than the debounce', { pollInterval: '10s' }, /pollInterval cannot be longer than debounce/],
    ['a bad bucket', { backupStore: { kind: 's3', bucket: 'No_Such' } }, /bucket/],
  ])('refuses %s', (_, over, message) => {
    const r = ProtectSpec.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});

describe('service fingerprints', () => {
  const secret = (v: string) => ({ kind: 'Secret', metadata: { name: 's' }, data: { token: v } });
  it('are equal for the same content in any key order', () => {
    expect(fingerprintOf([{ b: 1, a: { y: 2, x: 1 } }], 'd')).toBe(fingerprintOf([{ a: { x: 1, y: 2 }, b: 1 }], 'd'));
  });
  it.each<[string, unknown[], string | undefined]>([
    ['a rotated Secret value', [secret('new')], 'd'],
    ['other weights', [secret('old')], 'e'],
    ['weights gone', [secret('old')], undefined],
    ['an object removed', [], 'd'],
  ])('change with %s', (_, objects, digest) => {
    expect(fingerprintOf(objects, digest)).not.toBe(fingerprintOf([secret('old')], 'd'));
  });
});

describe('backup ids', () => {
  it('read back as their time', () => {
    const at = Date.UTC(2026, 11, 3, 8, 45, 7);
    expect(backupIdAt(at + 123, 'ab12')).toBe('20261203T084507Z-ab12');
    expect(timeOfBackupId(backupIdAt(at, 'x'))).toBe(at);
  });
});

describe('protection metrics', () => {
  const meter = () => {
    const sets: [string, number, MetricTags | undefined][] = [];
    const m = {
      createGauge: (name: string) => ({ set: (v: number, t?: MetricTags) => sets.push([name, v, t]) }),
      createHistogram: (name: string) => ({ record: (v: number, t?: MetricTags) => sets.push([name, v, t]) }),
    } as unknown as MetricMeter;
    return { sets, m };
  };
  it('one series per service: exposed since the change, then 0 with the RPO recorded', () => {
    const { sets, m } = meter();
    const p = protectionMeter(m);
    p.exposed('prod', 'llm', 1_000_000);
    p.protectedThrough('prod', 'llm', 1_012_500, 12_500);
    const tags = { service_namespace: 'prod', service: 'llm' };
    expect(sets).toEqual([
      ['autoglm_protect_exposed_since', 1000, tags],
      ['autoglm_protect_exposed_since', 0, tags],
      ['autoglm_protect_protected_through', 1012.5, tags],
      ['autoglm_protect_rpo', 12_500, tags],
    ]);
  });
});
