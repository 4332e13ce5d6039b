import { parseSpecText } from '../../core/spec-file';
import { specWarnings } from '../../core/spec-warnings';
import { specYaml } from '../support/spec-yaml';

const withSteps = (replicas: number, steps: string, traffic = '') =>
  parseSpecText(
    specYaml()
      .replace(/replicas: 4/, `replicas: ${replicas}`)
      .replace(/rollout:\n {2}steps:\n(\s+- .*\n)+/, `rollout:\n  steps: ${steps}\n${traffic}`),
    'x.yaml',
  );

describe('spec warnings: replica-ratio weights that run at another share', () => {
  it.each`
    replicas | steps                                   | warned
    ${2}     | ${'[{ weight: 50 }]'}                   | ${['rollout.steps.0.weight: weight 50 runs at about 33 %']}
    ${2}     | ${'[{ weight: 50 }, { weight: 100 }]'}  | ${['rollout.steps.0.weight: weight 50 runs at about 33 %', 'rollout.steps.1.weight: weight 100 runs at about 50 %']}
    ${10}    | ${'[{ weight: 10 }, { weight: 30 }]'}   | ${['rollout.steps.1.weight: weight 30 runs at about 23 %']}
    ${20}    | ${'[{ weight: 5 }]'}                    | ${[]}
    ${4}     | ${'[{ replicas: 1 }, { replicas: 2 }]'} | ${[]}
    ${4}     | ${'[{ weight: 10, replicas: 2 }]'}      | ${['rollout.steps.0.weight: weight 10 runs at about 33 %']}
  `('$replicas replicas, steps $steps', ({ replicas, steps, warned }) => {
    const found = specWarnings(withSteps(replicas, steps)).map((w) => `${w.path.join('.')}: ${w.message}`);
    expect(found).toHaveLength((warned as string[]).length);
    (warned as string[]).forEach((prefix, i) => expect(found[i]).toContain(prefix));
  });

  it('says nothing where the traffic kind sets exact weights', () => {
    const spec = withSteps(2, '[{ weight: 50 }, { weight: 100 }]', '  traffic: { kind: gateway-api, gateway: { name: gw } }\n');
    expect(spec.rollout.traffic.kind).toBe('gateway-api');
    expect(specWarnings(spec)).toEqual([]);
  });
});
