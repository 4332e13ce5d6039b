/**
 * What the receiver reads from a GitHub `release` event: only the fields it uses, parsed with zod,
 * and the image to deploy from the release body. GitHub sends much more; unknown fields pass.
 */
import { z } from 'zod';
import { parseImageRef } from '../core/image-ref';
import { describeIssues } from '../core/validation';

export const ReleaseEvent = z.object({
  action: z.string(),
  release: z.object({
    tag_name: z.string().min(1),
    name: z.string().nullable().optional(),
    body: z.string().nullable(),
    draft: z.boolean(),
    prerelease: z.boolean(),
    html_url: z.string().url(),
  }),
  repository: z.object({
    full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/repo'),
    name: z.string(),
    owner: z.object({ login: z.string() }),
  }),
  sender: z.object({ login: z.string() }).optional(),
  installation: z.object({ id: z.number().int() }).optional(),
});
export type ReleaseEvent = z.infer<typeof ReleaseEvent>;

/** A release the pipeline can deploy: the repository, the tag, the image pinned by digest, the version. */
export interface PublishedRelease {
  owner: string;
  repo: string;
  tag: string;
  image: string;
  version: string;
  prerelease: boolean;
  url: string;
  sender?: string;
  installationId?: number;
}

export class MalformedReleaseError extends Error {
  override name = 'MalformedReleaseError';
}

/**
 * `image: <registry>/<repo>@sha256:<digest>` on a line of its own in the release body (required:
 * a tag can move, a digest cannot), `version: <v>` optionally (the tag otherwise).
 */
const bodyField = (body: string, key: string): string | undefined =>
  new RegExp(`^\\s*${key}\\s*:\\s*\`?([^\\s\`]+)\`?\\s*$`, 'im').exec(body)?.[1];

export function parsePublishedRelease(payload: unknown): PublishedRelease {
  const parsed = ReleaseEvent.safeParse(payload);
  if (!parsed.success) throw new MalformedReleaseError(`not a release event: ${describeIssues(parsed.error)}`);
  const { release, repository, sender, installation } = parsed.data;
  const body = release.body ?? '';
  const image = bodyField(body, 'image');
  if (!image)
    throw new MalformedReleaseError(`release ${release.tag_name}: its body has no "image: <registry>/<repo>@sha256:<digest>" line`);
  const ref = parseImageRef(image);
  if (!ref) throw new MalformedReleaseError(`release ${release.tag_name}: "${image}" is not an image reference`);
  if (!ref.digest) throw new MalformedReleaseError(`release ${release.tag_name}: image "${image}" is not pinned by digest (@sha256:…)`);
  const version = bodyField(body, 'version') ?? release.tag_name;
  return {
    owner: repository.owner.login,
    repo: repository.name,
    tag: release.tag_name,
    image,
    version,
    prerelease: release.prerelease,
    url: release.html_url,
    ...(sender ? { sender: sender.login } : {}),
    ...(installation ? { installationId: installation.id } : {}),
  };
}
