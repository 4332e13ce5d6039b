/**
 * SLSA provenance policy: does a verified provenance statement say the image was built from the
 * expected repository and ref, by an expected builder? Pure; reads SLSA v1 and v0.2 predicates.
 */
export interface ProvenancePolicy {
  /** Source repository URI, e.g. https://github.com/org/repo (a `git+` prefix and `.git` suffix are ignored). */
  repository: string;
  /** Required ref prefix, e.g. refs/tags/ (only tags) or refs/heads/main. */
  refPrefix?: string;
  /** Builder ids accepted; empty accepts any. */
  builders: string[];
}

export const SLSA_PREDICATES = ['https://slsa.dev/provenance/v1', 'https://slsa.dev/provenance/v0.2'];

export interface ProvenanceFacts {
  repository?: string;
  ref?: string;
  builder?: string;
}

type Json = Record<string, unknown> | undefined;
const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function provenanceFacts(predicateType: string, predicate: Json): ProvenanceFacts {
  if (predicateType === 'https://slsa.dev/provenance/v1') {
    const wf = get(predicate, 'buildDefinition', 'externalParameters', 'workflow');
    return {
      repository: str(get(wf, 'repository')),
      ref: str(get(wf, 'ref')),
      builder: str(get(predicate, 'runDetails', 'builder', 'id')),
    };
  }
  // v0.2: configSource.uri is "git+https://host/org/repo@refs/tags/v1"
  const uri = str(get(predicate, 'invocation', 'configSource', 'uri'));
  const [repository, ref] = uri ? (uri.split('@') as [string, string | undefined]) : [undefined, undefined];
  return { repository, ref, builder: str(get(predicate, 'builder', 'id')) };
}

const normalizeRepo = (r: string) =>
  r
    .replace(/^git\+/, '')
    .replace(/\.git$/, '')
    .replace(/\/$/, '')
    .toLowerCase();

/** The problems with these facts under the policy; empty means acceptable. */
export function checkProvenance(facts: ProvenanceFacts, policy: ProvenancePolicy): string[] {
  const problems: string[] = [];
  if (!facts.repository || normalizeRepo(facts.repository) !== normalizeRepo(policy.repository)) {
    problems.push(`built from ${facts.repository ?? 'an unnamed repository'}, not ${policy.repository}`);
  }
  if (policy.refPrefix && !(facts.ref ?? '').startsWith(policy.refPrefix))
    problems.push(`ref ${facts.ref ?? '(none)'} does not start with ${policy.refPrefix}`);
  if (policy.builders.length > 0 && !policy.builders.includes(facts.builder ?? ''))
    problems.push(`builder ${facts.builder ?? '(none)'} is not one of ${policy.builders.join(', ')}`);
  return problems;
}
