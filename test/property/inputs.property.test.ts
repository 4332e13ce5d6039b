import fc from 'fast-check';
import { stringify } from 'yaml';
import { SpecFileError, parseSpecText } from '../../core/spec-file';
import { MalformedReleaseError, parsePublishedRelease } from '../../webhook/release-event';
import { releasePublishedPayload } from '../support/github/webhooks';
import { specYaml } from '../support/spec-yaml';
import { parse } from 'yaml';

// Whatever arrives — a file, a webhook body — the parsers answer with their typed error or a
// value, never anything else (a TypeError from a missing guard is what these look for).

/** Any JSON-like value, and valid documents with one field replaced by anything. */
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const validSpec = parse(specYaml()) as Record<string, unknown>;
const payload = releasePublishedPayload({ repository: 'o/r', tag: 'v1.0.0', body: 'image: registry.local/m@sha256:' + 'a'.repeat(64) });

/** `doc` with the value at a random path (existing or new) replaced by `value`. */
function mutate(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const base = doc !== null && typeof doc === 'object' ? doc : {};
  const copy: Record<string, unknown> = Array.isArray(base) ? ({ ...base } as Record<string, unknown>) : { ...(base as object) };
  copy[head] = mutate((base as Record<string, unknown>)[head], rest, value);
  return Array.isArray(base) ? Object.values(copy) : copy;
}

const keysOf = (doc: unknown): string[] => (doc !== null && typeof doc === 'object' ? Object.keys(doc) : []);
const pathInto = (doc: unknown): fc.Arbitrary<string[]> =>
  fc.array(fc.oneof(fc.constantFrom(...keysOf(doc), 'x'), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 3 });

const only = (typed: new (...a: never[]) => Error) => (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof typed)) throw new Error(`threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  }
};

describe('input parsers under any input', () => {
  it('the spec parser returns a spec or throws SpecFileError, for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => only(SpecFileError)(() => parseSpecText(text, 'x.yaml'))),
      { numRuns: 2_000, seed: 7 },
    );
  });

  it('the spec parser returns a spec or throws SpecFileError, for any value in any field of a valid spec', () => {
    fc.assert(
      fc.property(pathInto(validSpec), jsonValue, fc.boolean(), (path, value, asJson) => {
        const doc = mutate(validSpec, path, value);
        only(SpecFileError)(() => parseSpecText(asJson ? JSON.stringify(doc) : stringify(doc), 'x.yaml'));
      }),
      { numRuns: 3_000, seed: 11 },
    );
  });

  it('the webhook payload parser returns a release or throws MalformedReleaseError, for any payload', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonValue,
          fc.tuple(pathInto(payload), jsonValue).map(([p, v]) => mutate(payload, p, v)),
        ),
        (body) => only(MalformedReleaseError)(() => parsePublishedRelease(body)),
      ),
      { numRuns: 3_000, seed: 13 },
    );
  });
});
