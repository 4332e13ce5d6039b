/**
 * A local stand-in for the public sigstore instance: a Fulcio-like CA, a CT log and a Rekor-like
 * transparency log from @sigstore/mock, with keys kept in the stack's directory and a
 * `trusted_root.json` naming them (the same file format production gets from sigstore's TUF
 * repository). It makes keyless sigstore bundles the way `cosign sign` does with an OIDC
 * identity: ephemeral key, short-lived certificate for that identity, DSSE envelope, log entry
 * with inclusion proof and promise. Test and demo tooling, not product code.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initializeCA, initializeCTLog, initializeTLog } from '@sigstore/mock';
// The DSSE encoding and media type the product verifies with (its signatures are still checked by
// @sigstore/verify, which encodes on its own).
import { BUNDLE, pae } from '../../../activities/supplychain/cosign';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
const ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const TLOG_URL = 'https://rekor.autoglm.test';
const IN_TOTO = 'application/vnd.in-toto+json';

interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export interface SigningIdentity {
  /** The certificate's subject alternative name: a workflow ref URI or an e-mail. */
  subject: string;
  issuer: string;
}

export interface KeylessSignOptions {
  /** The log entry is made an hour after the 10-minute certificate was issued: signed with an expired certificate. */
  expiredCertificate?: boolean;
  /** Signed by a CA (and logged by a log) the trusted root does not name. */
  untrustedAuthority?: boolean;
  /** No transparency-log entry in the bundle. */
  withoutLogEntry?: boolean;
}

export interface InTotoStatement {
  _type: string;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: string;
  predicate: object;
}

export interface TestSigstore {
  trustedRootPath: string;
  /** A keyless sigstore bundle (v0.3, DSSE) over the statement, certified for `identity`. */
  signStatement(statement: InTotoStatement, identity: SigningIdentity, opts?: KeylessSignOptions): Promise<object>;
}

/** Rekor's v1 API answer for one entry (what the mock log returns). */
interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    signedEntryTimestamp: string;
    inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
  };
}

const der = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const b64 = (b: Buffer) => b.toString('base64');
const newKeyPair = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' });

function persistentKey(dir: string, name: string): KeyPair {
  const file = join(dir, `${name}.key.pem`);
  if (!existsSync(file)) {
    const pem = newKeyPair().privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(`${file}.tmp`, pem, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  const privateKey = createPrivateKey(readFileSync(file));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

async function authorities(keys: { ca: KeyPair; ctlog: KeyPair; tlog: KeyPair }, opts: { caClock?: Date; tlogClock?: Date } = {}) {
  const ctlog = await initializeCTLog(keys.ctlog);
  const ca = await initializeCA(keys.ca, ctlog, opts.caClock);
  const tlog = await initializeTLog(TLOG_URL, keys.tlog, opts.tlogClock);
  return { ctlog, ca, tlog };
}

type Authorities = Awaited<ReturnType<typeof authorities>>;

function trustedRoot({ ctlog, ca, tlog }: Authorities): object {
  // Valid from a day back, so certificates issued by a clock set in the past still fall inside.
  const start = new Date(Date.now() - 86_400_000).toISOString();
  const key = (rawBytes: Buffer) => ({ rawBytes: b64(rawBytes), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } });
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: TLOG_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: key(tlog.publicKey),
        logId: { keyId: b64(createHash('sha256').update(tlog.publicKey).digest()) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'autoglm.test', commonName: 'autoglm test fulcio' },
        uri: 'https://fulcio.autoglm.test',
        certChain: { certificates: [{ rawBytes: b64(der(ca.rootCertificate)) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.autoglm.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: key(ctlog.publicKey),
        logId: { keyId: b64(der(ctlog.logID)) },
      },
    ],
    timestampAuthorities: [],
  };
}

async function makeBundle(
  auth: Authorities,
  statement: InTotoStatement,
  identity: SigningIdentity,
  withoutLogEntry: boolean,
): Promise<object> {
  const ephemeral = newKeyPair();
  const certificate = der(
    await auth.ca.issueCertificate({
      publicKey: new Uint8Array(ephemeral.publicKey.export({ type: 'spki', format: 'der' })),
      subjectAltName: identity.subject,
      extensions: [
        { oid: ISSUER_V1, value: identity.issuer, legacy: true },
        { oid: ISSUER_V2, value: identity.issuer },
      ],
    }),
  );
  const payload = Buffer.from(JSON.stringify(statement));
  const signature = sign('sha256', pae(IN_TOTO, payload), ephemeral.privateKey);
  const envelope = { payload: b64(payload), payloadType: IN_TOTO, signatures: [{ sig: b64(signature), keyid: '' }] };
  const tlogEntries = [];
  if (!withoutLogEntry) {
    // The body as Rekor stores a dsse 0.0.1 entry: hashes of envelope and payload, signature and its certificate.
    const certPem = `-----BEGIN CERTIFICATE-----\n${b64(certificate)}\n-----END CERTIFICATE-----\n`;
    const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelope)) },
        payloadHash: { algorithm: 'sha256', value: sha256(payload) },
        signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(certPem)) }],
      },
    };
    const entry = Object.values(await auth.tlog.log(body))[0] as RekorEntry;
    const proof = entry.verification.inclusionProof;
    tlogEntries.push({
      logIndex: String(entry.logIndex),
      logId: { keyId: b64(Buffer.from(entry.logID, 'hex')) },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(entry.integratedTime),
      inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
      inclusionProof: {
        logIndex: String(proof.logIndex),
        rootHash: b64(Buffer.from(proof.rootHash, 'hex')),
        treeSize: String(proof.treeSize),
        hashes: proof.hashes,
        checkpoint: { envelope: proof.checkpoint },
      },
      canonicalizedBody: entry.body,
    });
  }
  return { mediaType: BUNDLE, verificationMaterial: { certificate: { rawBytes: b64(certificate) }, tlogEntries }, dsseEnvelope: envelope };
}

/** The stack's test sigstore: made once (keys and trusted root under `<stack>/sigstore`), reused after. */
export async function ensureTestSigstore(stackDir: string): Promise<TestSigstore> {
  const dir = join(stackDir, 'sigstore');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = { ca: persistentKey(dir, 'fulcio'), ctlog: persistentKey(dir, 'ctlog'), tlog: persistentKey(dir, 'rekor') };
  const trustedRootPath = join(dir, 'trusted_root.json');
  if (!existsSync(trustedRootPath)) {
    writeFileSync(`${trustedRootPath}.tmp`, JSON.stringify(trustedRoot(await authorities(keys)), null, 2));
    renameSync(`${trustedRootPath}.tmp`, trustedRootPath);
  }
  return {
    trustedRootPath,
    async signStatement(statement, identity, opts = {}) {
      // A CA re-made from the same key issues certificates that chain to the root in trusted_root.json.
      const auth = opts.untrustedAuthority
        ? await authorities({ ca: newKeyPair(), ctlog: newKeyPair(), tlog: newKeyPair() })
        : await authorities(keys, opts.expiredCertificate ? { caClock: new Date(Date.now() - 3_600_000) } : {});
      return makeBundle(auth, statement, identity, opts.withoutLogEntry ?? false);
    },
  };
}
