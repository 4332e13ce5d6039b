import { judgeSignatures, pae } from '../../activities/supplychain/cosign';

const D = `sha256:${'a'.repeat(64)}`;
const E = `sha256:${'e'.repeat(64)}`;

describe('judgeSignatures', () => {
  const id = {
    subject: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1',
    issuer: 'https://token.actions.githubusercontent.com',
  };
  it.each`
    name                                          | findings                                                                                                                            | verdict
    ${'a trusted key signature over this digest'} | ${[{ format: 'legacy', keyId: 'k1', trusted: true, signedDigest: D }]}                                                              | ${'ok'}
    ${'an allowed keyless identity'}              | ${[{ format: 'bundle', identity: id, trusted: true, signedDigest: D }]}                                                             | ${'ok'}
    ${'one good among bad ones'}                  | ${[{ format: 'legacy', failure: 'signature', signedDigest: D }, { format: 'bundle', keyId: 'k1', trusted: true, signedDigest: D }]} | ${'ok'}
    ${'no signatures at all'}                     | ${[]}                                                                                                                               | ${'NoSignature'}
    ${'signatures no key verifies'}               | ${[{ format: 'legacy', failure: 'signature', signedDigest: D }]}                                                                    | ${'SignatureInvalid'}
    ${'a trusted signature for another image'}    | ${[{ format: 'legacy', keyId: 'k1', trusted: true, signedDigest: E }]}                                                              | ${'DigestMismatch'}
    ${'a trusted signature naming nothing'}       | ${[{ format: 'bundle', keyId: 'k1', trusted: true }]}                                                                               | ${'DigestMismatch'}
    ${'a verified but disallowed identity'}       | ${[{ format: 'bundle', identity: id, failure: 'identity', problem: 'x', signedDigest: D }]}                                         | ${'IdentityMismatch'}
    ${'an expired certificate'}                   | ${[{ format: 'bundle', failure: 'certificate', problem: 'expired', signedDigest: D }]}                                              | ${'CertificateInvalid'}
    ${'no log entry'}                             | ${[{ format: 'bundle', failure: 'tlog', problem: 'no entry', signedDigest: D }]}                                                    | ${'TransparencyLogInvalid'}
    ${'identity beats a plain bad signature'}     | ${[{ format: 'legacy', failure: 'signature' }, { format: 'bundle', identity: id, failure: 'identity' }]}                            | ${'IdentityMismatch'}
    ${'a verified key for another digest wins'}   | ${[{ format: 'bundle', failure: 'certificate' }, { format: 'legacy', keyId: 'k1', trusted: true, signedDigest: E }]}                | ${'DigestMismatch'}
  `('$name → $verdict', ({ findings, verdict }) => {
    const v = judgeSignatures(D, findings, ['key k1']);
    expect(v.ok ? 'ok' : v.kind).toBe(verdict);
  });
});

describe('DSSE pre-authentication encoding', () => {
  it('matches the DSSE specification example', () => {
    // https://github.com/secure-systems-lab/dsse/blob/master/protocol.md: "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
});
