/**
 * Webhook deliveries as GitHub makes them: payloads shaped like GitHub's (checked against the
 * `x-webhooks` schemas of its OpenAPI description before they are sent), the `X-GitHub-*` headers,
 * an `X-Hub-Signature-256` HMAC computed here with node:crypto (independently of the product's
 * verifier), a record of every delivery and redelivery with the same GUID.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { GitHubOpenApi } from './openapi';
import { githubUser } from './resources';

type Json = Record<string, unknown>;

const API = 'https://api.github.com';
const WEB = 'https://github.com';
const TIME = '2026-11-23T10:00:00Z';

export const userPayload = (login: string, id = 583231): Json =>
  githubUser({
    apiUrl: API,
    login,
    id,
    nodeId: `MDQ6VXNlcj${id}`,
    avatarUrl: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    htmlUrl: `${WEB}/${login}`,
    type: 'User',
  });

const TEMPLATED: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  statuses_url: '/statuses/{sha}',
  trees_url: '/git/trees{/sha}',
};
const PLAIN = [
  'contributors',
  'deployments',
  'downloads',
  'events',
  'forks',
  'hooks',
  'languages',
  'merges',
  'stargazers',
  'subscribers',
  'subscription',
  'tags',
  'teams',
];

export function repositoryPayload(fullName: string, id = 1296269): Json {
  const [owner, name] = fullName.split('/') as [string, string];
  const url = `${API}/repos/${fullName}`;
  return {
    id,
    node_id: `MDEwOlJlcG9zaXRvcnk${id}`,
    name,
    full_name: fullName,
    private: false,
    owner: userPayload(owner, 9919),
    html_url: `${WEB}/${fullName}`,
    description: 'LLM inference service',
    fork: false,
    url,
    ...Object.fromEntries(Object.entries(TEMPLATED).map(([k, suffix]) => [k, `${url}${suffix}`])),
    ...Object.fromEntries(PLAIN.map((p) => [`${p}_url`, `${url}/${p}`])),
    created_at: TIME,
    updated_at: TIME,
    pushed_at: TIME,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `${WEB}/${fullName}.git`,
    svn_url: `${WEB}/${fullName}`,
    homepage: null,
    size: 108,
    stargazers_count: 0,
    watchers_count: 0,
    language: 'Python',
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: 'main',
  };
}

export interface ReleaseFields {
  repository: string;
  tag: string;
  body: string | null;
  prerelease?: boolean;
  sender?: string;
  installationId?: number;
}

let nextReleaseId = 5000;

export function releasePublishedPayload(r: ReleaseFields): Json {
  const id = nextReleaseId++;
  const url = `${API}/repos/${r.repository}/releases/${id}`;
  return {
    action: 'published',
    release: {
      url,
      assets_url: `${url}/assets`,
      upload_url: `https://uploads.github.com/repos/${r.repository}/releases/${id}/assets{?name,label}`,
      html_url: `${WEB}/${r.repository}/releases/tag/${r.tag}`,
      id,
      author: userPayload(r.sender ?? 'octocat'),
      node_id: `RE_${id}`,
      tag_name: r.tag,
      target_commitish: 'main',
      name: r.tag,
      draft: false,
      immutable: false,
      prerelease: r.prerelease ?? false,
      created_at: TIME,
      updated_at: TIME,
      published_at: TIME,
      assets: [],
      tarball_url: `${API}/repos/${r.repository}/tarball/${r.tag}`,
      zipball_url: `${API}/repos/${r.repository}/zipball/${r.tag}`,
      body: r.body,
    },
    repository: repositoryPayload(r.repository),
    sender: userPayload(r.sender ?? 'octocat'),
    ...(r.installationId
      ? { installation: { id: r.installationId, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${r.installationId}` } }
      : {}),
  };
}

export interface Delivery {
  guid: string;
  event: string;
  payload: Json;
  status: number;
  response: Json;
  redelivery: boolean;
}

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private readonly contract = new GitHubOpenApi();

  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  static sign(secret: string, body: string): string {
    return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  }

  /** Sends an event as GitHub would; `hook` names its x-webhooks schema (e.g. release-published). */
  async deliver(
    event: string,
    hook: string,
    payload: Json,
    opts: { guid?: string; secret?: string; signature?: string | null } = {},
  ): Promise<Delivery> {
    this.contract.validateWebhook(hook, payload);
    const body = JSON.stringify(payload);
    const guid = opts.guid ?? randomUUID();
    const signature = opts.signature === undefined ? WebhookSender.sign(opts.secret ?? this.secret, body) : opts.signature;
    const res = await fetch(this.url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/autoglm-test',
        'x-github-event': event,
        'x-github-delivery': guid,
        'x-github-hook-id': '12312312',
        'x-github-hook-installation-target-type': 'repository',
        'x-github-hook-installation-target-id': '1296269',
        ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
      },
    });
    const text = await res.text();
    const delivery: Delivery = {
      guid,
      event,
      payload,
      status: res.status,
      response: text ? (JSON.parse(text) as Json) : {},
      redelivery: !!opts.guid,
    };
    this.deliveries.push(delivery);
    return delivery;
  }

  /** GitHub's "Redeliver": the same GUID and body. */
  redeliver(guid: string): Promise<Delivery> {
    const first = this.deliveries.find((d) => d.guid === guid);
    if (!first) throw new Error(`no delivery ${guid}`);
    return this.deliver(first.event, first.event === 'release' ? `release-${String(first.payload.action)}` : first.event, first.payload, {
      guid,
    });
  }

  publishRelease(r: ReleaseFields): Promise<Delivery> {
    return this.deliver('release', 'release-published', releasePublishedPayload(r));
  }
}
