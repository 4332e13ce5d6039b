/** Parses image references the way the distribution spec names them: host[:port]/repo[:tag][@sha256:…]. */
export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImageRef(ref: string): ImageRef | undefined {
  const [name, digest] = ref.split('@') as [string, string | undefined];
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const registry = name.slice(0, slash);
  // A registry host has a dot, a port or is localhost; Docker Hub short names are not accepted.
  if (!/[.:]/.test(registry) && registry !== 'localhost') return undefined;
  let repository = name.slice(slash + 1);
  let tag: string | undefined;
  const colon = repository.lastIndexOf(':');
  if (colon >= 0) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  }
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repository)) return undefined;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export const pinnedReference = (r: ImageRef, digest: string) => `${r.registry}/${r.repository}@${digest}`;
