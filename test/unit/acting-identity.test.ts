import { actingIdentity, certificateIdentity, IdentityMismatchError } from '../../security/acting-identity';
import { makePki } from '../support/mtls-proxy';

// Who an operator action is recorded as: the client certificate's subject with mTLS (openssl-made
// certificates), the typed name marked unverified without.
describe('acting identity', () => {
  const pki = makePki();
  const withCert = { TEMPORAL_TLS_CERT: pki.client.cert };

  it.each([
    ['no mTLS, a typed name', undefined, 'dave', {}, 'unverified:dave'],
    ['no mTLS, no name: the fallback', undefined, undefined, {}, 'unverified:alice'],
    ['mTLS, no name', 'cert', undefined, withCert, `cert:autoglm-worker`],
    ['mTLS, the certificate name typed', 'cert', 'autoglm-worker', withCert, 'cert:autoglm-worker'],
    ['mTLS, the recorded form typed', 'cert', 'cert:autoglm-worker', withCert, 'cert:autoglm-worker'],
  ])('%s', (_what, _kind, claimed, env, expected) => {
    expect(actingIdentity(claimed, 'alice', env)).toBe(expected);
  });

  it('refuses a typed name the certificate contradicts, naming both', () => {
    expect(() => actingIdentity('mallory', 'alice', withCert)).toThrow(IdentityMismatchError);
    expect(() => actingIdentity('mallory', 'alice', withCert)).toThrow(
      '"mallory" is not who your client certificate says you are (cert:autoglm-worker)',
    );
  });

  it('reads the subject of the certificate file', () => {
    expect(certificateIdentity(withCert)).toBe('cert:autoglm-worker');
    expect(certificateIdentity({})).toBeUndefined();
  });
});
