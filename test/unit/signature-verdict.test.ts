import { judgeSignatures, pae } from '../../activities/supplychain/cosign';

const D = `sha256:${'a'.repeat(64)}`;
const E = `sha256:${'e'.repeat(64)}`;

describe('judgeSignatures', () => {
  it.each`
    name                                      | findings                                                                          | verdict
    ${'a trusted signature over this digest'} | ${[{ format: 'legacy', keyId: 'k1', signedDigest: D }]}                          | ${'ok'}
    ${'one good among bad ones'}              | ${[{ format: 'legacy', signedDigest: D }, { format: 'bundle', keyId: 'k1', signedDigest: D }]} | ${'ok'}
    ${'no signatures at all'}                 | ${[]}                                                                             | ${'NoSignature'}
    ${'signatures no key verifies'}           | ${[{ format: 'legacy', signedDigest: D }]}                                       | ${'SignatureInvalid'}
    ${'a trusted signature for another image'} | ${[{ format: 'legacy', keyId: 'k1', signedDigest: E }]}                         | ${'DigestMismatch'}
    ${'a trusted signature naming nothing'}   | ${[{ format: 'bundle', keyId: 'k1' }]}                                            | ${'DigestMismatch'}
  `('$name → $verdict', ({ findings, verdict }) => {
    const v = judgeSignatures(D, findings, ['k1']);
    expect(v.ok ? 'ok' : v.kind).toBe(verdict);
  });
});

describe('DSSE pre-authentication encoding', () => {
  it('matches the DSSE specification example', () => {
    // https://github.com/secure-systems-lab/dsse/blob/master/protocol.md: "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });
});
