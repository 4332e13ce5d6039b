/**
 * Attaches a sigstore bundle to an image as an OCI referrer, laid out as cosign v3 writes it
 * (artifactType = bundle media type, empty config, one bundle layer, `subject` = the image), and
 * lists it in the referrers tag (`sha256-<hex>`) for registries without the referrers API, like
 * the local distribution 2.8. Test and demo tooling, not product code.
 */
import { createHash } from 'node:crypto';
import { BUNDLE } from '../../../activities/supplychain/cosign';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function check(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

async function pushBlob(base: string, content: Buffer): Promise<string> {
  const digest = sha256(content);
  const start = await check(await fetch(`${base}/blobs/uploads/`, { method: 'POST' }), 'start blob upload');
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  await check(
    await fetch(location, { method: 'PUT', body: content, headers: { 'content-type': 'application/octet-stream' } }),
    'upload blob',
  );
  return digest;
}

async function putManifest(base: string, reference: string, mediaType: string, body: Buffer): Promise<void> {
  await check(
    await fetch(`${base}/manifests/${reference}`, { method: 'PUT', body, headers: { 'content-type': mediaType } }),
    `put manifest ${reference}`,
  );
}

/** `image` is registry-host/repository@sha256:…; the registry is reached over plain HTTP (loopback). */
export async function attachBundle(image: string, bundle: object, predicateType: string): Promise<string> {
  const [name, digest] = image.split('@') as [string, string];
  const slash = name.indexOf('/');
  const base = `http://${name.slice(0, slash)}/v2/${name.slice(slash + 1)}`;
  const subject = await check(await fetch(`${base}/manifests/${digest}`, { headers: { accept: OCI_MANIFEST } }), 'read the image manifest');
  const subjectBody = Buffer.from(await subject.arrayBuffer());

  const bundleBytes = Buffer.from(JSON.stringify(bundle));
  const emptyConfig = Buffer.from('{}');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE,
      config: { mediaType: EMPTY, digest: await pushBlob(base, emptyConfig), size: emptyConfig.length },
      layers: [{ mediaType: BUNDLE, digest: await pushBlob(base, bundleBytes), size: bundleBytes.length }],
      subject: { mediaType: subject.headers.get('content-type') ?? OCI_MANIFEST, digest, size: subjectBody.length },
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': predicateType,
        'org.opencontainers.image.created': new Date().toISOString(),
      },
    }),
  );
  const manifestDigest = sha256(manifest);
  await putManifest(base, manifestDigest, OCI_MANIFEST, manifest);

  // The referrers tag schema: an index under sha256-<hex> listing every referrer of the image.
  const tag = digest.replace(':', '-');
  const existing = await fetch(`${base}/manifests/${tag}`, { headers: { accept: OCI_INDEX } });
  const index = existing.ok ? ((await existing.json()) as { manifests: object[] }) : (await existing.arrayBuffer(), { manifests: [] });
  index.manifests.push({
    mediaType: OCI_MANIFEST,
    digest: manifestDigest,
    size: manifest.length,
    artifactType: BUNDLE,
    annotations: { 'dev.sigstore.bundle.predicateType': predicateType },
  });
  await putManifest(
    base,
    tag,
    OCI_INDEX,
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: index.manifests })),
  );
  return manifestDigest;
}
