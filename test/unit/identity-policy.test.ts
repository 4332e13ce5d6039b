import { identityAllowed } from '../../core/identity-policy';

const GHA = 'https://token.actions.githubusercontent.com';
const WF = 'https://github.com/zai-org/Open-AutoGLM/.github/workflows/release.yml@refs/tags/v2.0.0';

describe('identityAllowed', () => {
  it.each`
    name                                       | identity                                                                 | rules                                                                                                    | allowed
    ${'exact subject and issuer'}              | ${{ subject: WF, issuer: GHA }}                                          | ${[{ issuer: GHA, subject: WF }]}                                                                        | ${true}
    ${'the right subject from another issuer'} | ${{ subject: WF, issuer: 'https://evil.test' }}                          | ${[{ issuer: GHA, subject: WF }]}                                                                        | ${false}
    ${'no issuer in the certificate'}          | ${{ subject: WF }}                                                       | ${[{ issuer: GHA, subject: WF }]}                                                                        | ${false}
    ${'a pattern over the whole subject'}      | ${{ subject: WF, issuer: GHA }}                                          | ${[{ issuer: GHA, subjectRegExp: 'https://github\\.com/zai-org/Open-AutoGLM/.*@refs/tags/v.*' }]}        | ${true}
    ${'a pattern matching only a part'}        | ${{ subject: WF, issuer: GHA }}                                          | ${[{ issuer: GHA, subjectRegExp: 'zai-org/Open-AutoGLM' }]}                                              | ${false}
    ${'an alternation cannot escape anchors'}  | ${{ subject: `${WF}x`, issuer: GHA }}                                    | ${[{ issuer: GHA, subjectRegExp: 'nothing|https://github\\.com/.*v2\\.0\\.0' }]}                         | ${false}
    ${'any of several rules'}                  | ${{ subject: 'ops@example.com', issuer: 'https://accounts.google.com' }} | ${[{ issuer: GHA, subject: WF }, { issuer: 'https://accounts.google.com', subject: 'ops@example.com' }]} | ${true}
    ${'no rules'}                              | ${{ subject: WF, issuer: GHA }}                                          | ${[]}                                                                                                    | ${false}
  `('$name → $allowed', ({ identity, rules, allowed }) => {
    expect(identityAllowed(identity, rules)).toBe(allowed);
  });
});
