import { appendRevision, chooseRollbackTarget, rollbackSpec, type RevisionRecord } from '../../core/revision-history';

const rec = (version: string, kind: RevisionRecord['kind'] = 'release', madeBy = `release:ns.llm/${version}-${kind}`): RevisionRecord => ({
  revision: `r-${version}`,
  version,
  image: `registry.example.com/m@sha256:${version}`,
  kind,
  at: '2026-11-23T10:00:00Z',
  madeBy,
  spec: {
    service: 'llm',
    namespace: 'ns',
    version,
    image: 'x',
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 1 },
    replicas: 1,
    rollout: {
      steps: [
        { weight: 25, bake: '5m' },
        { weight: 50, gate: 'manual' },
      ],
    },
  },
  ...(kind === 'rollback' ? { by: 'alice' } : {}),
});

describe('revision history', () => {
  it('appends newest first, once per workflow run, keeping the limit', () => {
    let h: RevisionRecord[] = [];
    h = appendRevision(h, rec('v1'));
    h = appendRevision(h, rec('v2'));
    expect(appendRevision(h, rec('v2'))).toEqual(h); // a retried activity
    expect(h.map((r) => r.version)).toEqual(['v2', 'v1']);
    expect(appendRevision(h, rec('v3'), 2).map((r) => r.version)).toEqual(['v3', 'v2']);
  });

  it('goes back to the revision promoted before the serving one', () => {
    const h = [rec('v3'), rec('v2'), rec('v1')];
    expect(chooseRollbackTarget(h, 'r-v3')).toMatchObject({ kind: 'target', record: { version: 'v2' } });
    expect(chooseRollbackTarget(h, 'r-v2')).toMatchObject({ kind: 'target', record: { version: 'v1' } });
  });

  it('skips rollbacks and the serving revision when walking back', () => {
    // v1, v2, v3 released; rolled back to v2; v4 released: before v4 comes v2 (as released).
    const h = [rec('v4'), rec('v2', 'rollback'), rec('v3'), rec('v2'), rec('v1')];
    expect(chooseRollbackTarget(h, 'r-v4')).toMatchObject({ kind: 'target', record: { version: 'v2', kind: 'rollback' } });
  });

  it('changes nothing when asked again after a rollback restored the serving revision', () => {
    const h = [rec('v1', 'rollback'), rec('v2'), rec('v1')];
    expect(chooseRollbackTarget(h, 'r-v1')).toEqual({
      kind: 'unchanged',
      reason: 'v1 (r-v1) is serving: restored by alice at 2026-11-23T10:00:00Z',
    });
  });

  it('takes a named revision or version, and says what is known when it is not', () => {
    const h = [rec('v3'), rec('v2'), rec('v1')];
    expect(chooseRollbackTarget(h, 'r-v3', 'v1')).toMatchObject({ kind: 'target', record: { revision: 'r-v1' } });
    expect(chooseRollbackTarget(h, 'r-v3', 'r-v2')).toMatchObject({ kind: 'target', record: { version: 'v2' } });
    expect(chooseRollbackTarget(h, 'r-v3', 'v3')).toMatchObject({ kind: 'unchanged' });
    expect(chooseRollbackTarget(h, 'r-v3', 'v9')).toEqual({
      kind: 'impossible',
      reason: "revision v9 is not in the service's history (known: v3 (r-v3), v2 (r-v2), v1 (r-v1))",
    });
  });

  it.each`
    case                                                  | history         | serving      | to           | expected
    ${'v1, v2 promoted; v3 stopped: v2 stays'}            | ${['v2', 'v1']} | ${'r-v2'}    | ${undefined} | ${{ kind: 'kept', revision: 'r-v2', record: { version: 'v2' } }}
    ${'only v1 promoted; v2 stopped: v1 stays'}           | ${['v1']}       | ${'r-v1'}    | ${undefined} | ${{ kind: 'kept', revision: 'r-v1', record: { version: 'v1' } }}
    ${'serving from before the history: kept, no record'} | ${['v1']}       | ${'r-old'}   | ${undefined} | ${{ kind: 'kept', revision: 'r-old', reason: 'release v3 stopped before promotion; r-old kept serving' }}
    ${'--to still goes further back'}                     | ${['v2', 'v1']} | ${'r-v2'}    | ${'v1'}      | ${{ kind: 'target', record: { version: 'v1' } }}
    ${'first release stopped: nothing serves'}            | ${[]}           | ${undefined} | ${undefined} | ${{ kind: 'impossible' }}
  `('with a release stopped before promotion: $case', ({ history, serving, to, expected }) => {
    const h = (history as string[]).map((v) => rec(v));
    const choice = chooseRollbackTarget(h, serving as string | undefined, to as string | undefined, { version: 'v3' });
    expect(choice).toMatchObject(expected as object);
    if (choice.kind === 'kept') expect(choice.reason).toMatch(/^release v3 stopped before promotion; .*kept serving$/);
  });

  it('has nothing to go back to from the first revision or an empty history', () => {
    expect(chooseRollbackTarget([rec('v1')], 'r-v1')).toMatchObject({ kind: 'impossible' });
    expect(chooseRollbackTarget([], undefined)).toMatchObject({
      kind: 'impossible',
      reason: 'the service has no serving revision and no history',
      unknownService: true,
    });
    // Its pods gone but its history kept: the newest recorded revision comes back.
    expect(chooseRollbackTarget([rec('v1')], undefined)).toMatchObject({ kind: 'target', record: { version: 'v1' } });
  });

  it('a serving revision the history never saw (deployed before it): the newest recorded one', () => {
    expect(chooseRollbackTarget([rec('v2'), rec('v1')], 'r-other')).toMatchObject({ kind: 'target', record: { version: 'v2' } });
  });

  it("redeploys through the revision's own steps without bake or gate, everything else as recorded", () => {
    const s = rollbackSpec(rec('v1').spec);
    expect(s.rollout.steps).toEqual([{ weight: 25 }, { weight: 50 }]);
    expect(s).toMatchObject({ version: 'v1', replicas: 1, gpu: { pool: 'l4' } });
  });
});
