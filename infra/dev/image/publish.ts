/**
 * Builds a small OCI image without a container engine (crane appends one layer to an empty OCI
 * base), pushes it to the stack's registry and signs it with the real cosign binary, in either or
 * both of cosign's storage formats. Test support and demo tooling, not product code.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../stack/exec';
import { bin } from '../stack/paths';
import type { StackState } from '../stack/state';

export type SignatureFormat = 'legacy' | 'bundle';

export interface PublishOptions {
  repository: string;
  tag: string;
  /** Files of the image's single layer, path → content. */
  files?: Record<string, string>;
  /** Which cosign storage formats to write; empty pushes an unsigned image. */
  sign?: SignatureFormat[];
}

export interface PublishedImage {
  /** repository@sha256:… — what a release deploys. */
  reference: string;
  tagged: string;
  digest: string;
  publicKeyPath: string;
}

export interface SigningKey {
  privateKeyPath: string;
  publicKeyPath: string;
  password: string;
}

const keys = new Map<string, Promise<SigningKey>>();

/** The stack's cosign key pair, made on first use (once, even when asked for concurrently); its password sits beside it with mode 0600. */
export function stackSigningKey(state: StackState, name = 'cosign'): Promise<SigningKey> {
  const id = join(state.dir, name);
  if (!keys.has(id))
    keys.set(
      id,
      makeSigningKey(state, name).catch((err: unknown) => {
        keys.delete(id);
        throw err;
      }),
    );
  return keys.get(id)!;
}

async function makeSigningKey(state: StackState, name: string): Promise<SigningKey> {
  const dir = join(state.dir, 'cosign');
  const prefix = join(dir, name);
  const passwordFile = `${prefix}.password`;
  if (!(existsSync(`${prefix}.key`) && existsSync(`${prefix}.pub`) && existsSync(passwordFile))) {
    // Made under a temporary name and renamed, so an interrupted run never leaves a key without its password.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${name}-${process.pid}`);
    const password = randomBytes(24).toString('base64url');
    await run(bin('cosign'), ['generate-key-pair', '--output-key-prefix', tmp], { env: { COSIGN_PASSWORD: password } });
    writeFileSync(`${tmp}.password`, password, { mode: 0o600 });
    chmodSync(`${tmp}.key`, 0o600);
    for (const ext of ['password', 'pub', 'key']) renameSync(`${tmp}.${ext}`, `${prefix}.${ext}`);
  }
  return { privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub`, password: readFileSync(passwordFile, 'utf8') };
}

export async function signImage(reference: string, key: SigningKey, format: SignatureFormat): Promise<void> {
  // Offline key-based signing: no signing config from the public instance, no transparency log.
  await run(
    bin('cosign'),
    [
      'sign',
      '--key',
      key.privateKeyPath,
      '--use-signing-config=false',
      '--tlog-upload=false',
      `--new-bundle-format=${format === 'bundle'}`,
      '--yes',
      reference,
    ],
    { env: { COSIGN_PASSWORD: key.password } },
  );
}

/** `cosign attest`: a signed in-toto attestation (e.g. SLSA provenance) of the image, in the given format. */
export async function attestImage(
  reference: string,
  key: SigningKey,
  predicate: object,
  type: string,
  format: SignatureFormat,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'autoglm-attest-'));
  try {
    writeFileSync(join(dir, 'predicate.json'), JSON.stringify(predicate));
    await run(
      bin('cosign'),
      [
        'attest',
        '--key',
        key.privateKeyPath,
        '--use-signing-config=false',
        '--tlog-upload=false',
        `--new-bundle-format=${format === 'bundle'}`,
        '--type',
        type,
        '--predicate',
        join(dir, 'predicate.json'),
        '--yes',
        reference,
      ],
      { env: { COSIGN_PASSWORD: key.password } },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function publishImage(state: StackState, opts: PublishOptions): Promise<PublishedImage> {
  if (!state.registry) throw new Error('the stack has no registry running (npm run stack:up)');
  const work = mkdtempSync(join(tmpdir(), 'autoglm-image-'));
  try {
    const root = join(work, 'rootfs');
    const files = opts.files ?? { 'etc/autoglm/build': `${opts.repository}:${opts.tag}\n` };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    await run('tar', ['-C', root, '-cf', join(work, 'layer.tar'), '.']);
    const tagged = `${state.registry.host}/${opts.repository}:${opts.tag}`;
    await run(bin('crane'), ['append', '--oci-empty-base', '-f', join(work, 'layer.tar'), '-t', tagged]);
    const digest = (await run(bin('crane'), ['digest', tagged])).trim();
    const reference = `${state.registry.host}/${opts.repository}@${digest}`;
    const key = await stackSigningKey(state);
    for (const format of opts.sign ?? ['legacy', 'bundle']) await signImage(reference, key, format);
    return { reference, tagged, digest, publicKeyPath: key.publicKeyPath };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
