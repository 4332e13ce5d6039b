import { RestoreRequest, restoreRefusal } from '../../core/restore/request';

const target = { namespace: 'prod', service: 'llm' };
const rev = (deployment: string, readyReplicas: number) => ({ deployment, readyReplicas });

describe('a restore into production', () => {
  it.each<[string, { deployment: string; readyReplicas: number }[], boolean, RegExp | undefined]>([
    ['nothing there: goes ahead', [], false, undefined],
    ['Deployments with no Ready pod (the loss): goes ahead', [rev('llm-a', 0)], false, undefined],
    [
      'a serving service: refused, naming it and the way out',
      [rev('llm-a', 2), rev('llm-b', 0)],
      false,
      /prod\/llm is serving \(2 ready pods of llm-a\): .*--replace.*--to-namespace/,
    ],
    ['one Ready pod: refused', [rev('llm-a', 1)], false, /1 ready pod of llm-a/],
    ['a serving service with replace: goes ahead', [rev('llm-a', 2)], true, undefined],
  ])('%s', (_, revisions, replace, refusal) => {
    const r = restoreRefusal(target, revisions, replace);
    if (refusal) expect(r).toMatch(refusal);
    else expect(r).toBeUndefined();
  });

  const base = { namespace: 'prod', service: 'llm', backupStore: { kind: 's3', bucket: 'backups' } };
  it('defaults: newest backup, own namespace, no replace, 10 min to be Ready', () => {
    expect(RestoreRequest.parse(base)).toEqual({ ...base, replace: false, restoreTimeout: 600_000 });
  });
  it.each<[string, object, RegExp]>([
    ['a namespace that is no DNS label', { toNamespace: 'Prod_1' }, /toNamespace/],
    ['weights somewhere not in S3', { weightsTo: '/mnt/models' }, /weightsTo.*s3:\/\/bucket\/prefix/],
    ['a backup id with a slash', { backupId: '../x' }, /backupId/],
  ])('refuses %s', (_, over, message) => {
    const r = RestoreRequest.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    expect(`${r.error?.issues[0]?.path.join('.')}: ${r.error?.issues[0]?.message}`).toMatch(message);
  });
});
