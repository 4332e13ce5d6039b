/**
 * A small client of the OCI distribution API: manifests and blobs by tag or digest, checked
 * against their digests, referrers with the tag-schema fallback, and the anonymous/basic
 * bearer-token dance real registries ask for. Plain HTTP only for loopback and listed hosts.
 */
import { createHash } from 'node:crypto';
import type { ImageRef } from '../../core/image-ref';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

export type RegistryErrorKind = 'not-found' | 'unauthorized' | 'digest-mismatch' | 'unavailable';

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly kind: RegistryErrorKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface Manifest {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: {
    mediaType?: string;
    manifests?: { digest: string; mediaType: string; artifactType?: string }[];
    layers?: { digest: string; mediaType: string; size: number; annotations?: Record<string, string> }[];
    config?: { digest: string; mediaType: string };
    artifactType?: string;
  };
}

export interface RegistryOptions {
  /** Hosts reached over plain HTTP besides loopback (e.g. an in-cluster registry). */
  insecureRegistries?: string[];
  timeoutMs?: number;
  basicAuth?: (registry: string) => { username: string; password: string } | undefined;
  /** Called on every HTTP request (benchmarks). */
  onRequest?: () => void;
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class OciRegistry {
  private readonly tokens = new Map<string, string>();
  constructor(private readonly opts: RegistryOptions = {}) {}

  private base(registry: string): string {
    const host = registry.replace(/:\d+$/, '');
    const plain =
      host === 'localhost' || /^127\./.test(host) || host === '[::1]' || (this.opts.insecureRegistries ?? []).includes(registry);
    return `${plain ? 'http' : 'https'}://${registry}`;
  }

  private async request(ref: ImageRef, path: string, accept?: string, method = 'GET'): Promise<Response> {
    const url = `${this.base(ref.registry)}/v2/${ref.repository}/${path}`;
    const scopeKey = `${ref.registry}/${ref.repository}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      const token = this.tokens.get(scopeKey);
      if (token) headers.authorization = token;
      this.opts.onRequest?.();
      let res: Response;
      try {
        res = await fetch(url, { method, headers, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) });
      } catch (err) {
        throw new RegistryError(`${ref.registry}: ${(err as Error).message}`, 'unavailable');
      }
      if (res.status === 401 && attempt === 0) {
        const challenge = res.headers.get('www-authenticate') ?? '';
        await res.arrayBuffer();
        if (await this.authenticate(ref, challenge)) continue;
      }
      return res;
    }
    throw new RegistryError(`${ref.registry}: authentication failed`, 'unauthorized', 401);
  }

  /** Bearer tokens per the distribution token spec (anonymous, or basic credentials if given). */
  private async authenticate(ref: ImageRef, challenge: string): Promise<boolean> {
    const scopeKey = `${ref.registry}/${ref.repository}`;
    const creds = this.opts.basicAuth?.(ref.registry);
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    if (/^Basic/i.test(challenge) && basic) {
      this.tokens.set(scopeKey, basic);
      return true;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!/^Bearer/i.test(challenge) || !params.realm) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    this.opts.onRequest?.();
    const res = await fetch(url, {
      headers: basic ? { authorization: basic } : {},
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
    });
    if (!res.ok) return false;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return false;
    this.tokens.set(scopeKey, `Bearer ${token}`);
    return true;
  }

  private fail(ref: ImageRef, what: string, res: Response): never {
    const where = `${ref.registry}/${ref.repository} ${what}`;
    if (res.status === 404) throw new RegistryError(`${where}: not found`, 'not-found', 404);
    if (res.status === 401 || res.status === 403)
      throw new RegistryError(`${where}: access denied (${res.status})`, 'unauthorized', res.status);
    throw new RegistryError(`${where}: registry answered ${res.status}`, 'unavailable', res.status);
  }

  /** A manifest by tag or digest; its content must hash to the digest asked for (or that the registry names). */
  async manifest(ref: ImageRef, reference: string): Promise<Manifest> {
    const res = await this.request(ref, `manifests/${reference}`, MANIFEST_TYPES.join(', '));
    if (!res.ok) this.fail(ref, `manifest ${reference}`, res);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = sha256(body);
    const claimed = res.headers.get('docker-content-digest');
    const expected = reference.startsWith('sha256:') ? reference : claimed;
    if (expected && expected !== digest) {
      throw new RegistryError(
        `${ref.registry}/${ref.repository} manifest ${reference}: content hashes to ${digest}, not ${expected}`,
        'digest-mismatch',
      );
    }
    const json = JSON.parse(body.toString('utf8')) as Manifest['json'];
    return { digest, mediaType: res.headers.get('content-type') ?? json.mediaType ?? '', body, json };
  }

  /** Like `manifest`, but a missing one is undefined (signatures that may not exist). */
  async optionalManifest(ref: ImageRef, reference: string): Promise<Manifest | undefined> {
    try {
      return await this.manifest(ref, reference);
    } catch (err) {
      if (err instanceof RegistryError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async blob(ref: ImageRef, digest: string): Promise<Buffer> {
    const res = await this.request(ref, `blobs/${digest}`);
    if (!res.ok) this.fail(ref, `blob ${digest}`, res);
    const body = Buffer.from(await res.arrayBuffer());
    if (sha256(body) !== digest)
      throw new RegistryError(`${ref.registry}/${ref.repository} blob ${digest}: content does not match its digest`, 'digest-mismatch');
    return body;
  }

  /** Artifacts that refer to `digest`: the referrers API, or its tag-schema fallback (`sha256-<hex>`). */
  async referrers(ref: ImageRef, digest: string): Promise<NonNullable<Manifest['json']['manifests']>> {
    const res = await this.request(ref, `referrers/${digest}`, 'application/vnd.oci.image.index.v1+json');
    if (res.ok) return ((await res.json()) as Manifest['json']).manifests ?? [];
    await res.arrayBuffer();
    if (res.status !== 404) this.fail(ref, `referrers of ${digest}`, res);
    const index = await this.optionalManifest(ref, digest.replace(':', '-'));
    return index?.json.manifests ?? [];
  }
}
