import { checkProvenance, provenanceFacts } from '../../core/provenance-policy';

const v1 = (repository: string, ref: string, builder: string) => ({
  buildDefinition: { externalParameters: { workflow: { repository, ref, path: '.github/workflows/release.yml' } } },
  runDetails: { builder: { id: builder } },
});
const policy = {
  repository: 'https://github.com/zai-org/Open-AutoGLM',
  refPrefix: 'refs/tags/',
  builders: ['https://github.com/actions/runner/github-hosted'],
};

describe('SLSA provenance policy', () => {
  it('accepts the expected repository, ref and builder (v1)', () => {
    const facts = provenanceFacts(
      'https://slsa.dev/provenance/v1',
      v1('https://github.com/zai-org/Open-AutoGLM', 'refs/tags/v2.0.0', 'https://github.com/actions/runner/github-hosted'),
    );
    expect(checkProvenance(facts, policy)).toEqual([]);
  });

  it('reads v0.2 configSource and ignores git+ and .git', () => {
    const facts = provenanceFacts('https://slsa.dev/provenance/v0.2', {
      builder: { id: 'https://github.com/actions/runner/github-hosted' },
      invocation: { configSource: { uri: 'git+https://github.com/zai-org/Open-AutoGLM.git@refs/tags/v1' } },
    });
    expect(facts).toEqual({
      repository: 'git+https://github.com/zai-org/Open-AutoGLM.git',
      ref: 'refs/tags/v1',
      builder: 'https://github.com/actions/runner/github-hosted',
    });
    expect(checkProvenance(facts, policy)).toEqual([]);
  });

  it.each`
    what                  | repo                                      | ref                 | builder                     | problem
    ${'other repository'} | ${'https://github.com/evil/Open-AutoGLM'} | ${'refs/tags/v2'}   | ${policy.builders[0]}       | ${/built from https:\/\/github.com\/evil/}
    ${'a branch'}         | ${policy.repository}                      | ${'refs/heads/dev'} | ${policy.builders[0]}       | ${/ref refs\/heads\/dev does not start with refs\/tags\//}
    ${'other builder'}    | ${policy.repository}                      | ${'refs/tags/v2'}   | ${'https://example/laptop'} | ${/builder https:\/\/example\/laptop is not one of/}
  `('refuses $what', ({ repo, ref, builder, problem }) => {
    const problems = checkProvenance(provenanceFacts('https://slsa.dev/provenance/v1', v1(repo, ref, builder)), policy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('refuses a predicate without the facts', () => {
    expect(checkProvenance(provenanceFacts('https://slsa.dev/provenance/v1', {}), { ...policy, builders: [] })).toHaveLength(2);
  });
});
