/** The GitHub objects the emulator hands out, shaped as GitHub's REST API returns them (checked against its OpenAPI description). */
export type Json = Record<string, unknown>;

/** A user object as GitHub's API shapes it (its URLs below `apiUrl`/users/<login>). */
export function githubUser(u: {
  apiUrl: string;
  login: string;
  id: number;
  nodeId: string;
  avatarUrl: string;
  htmlUrl: string;
  type: 'User' | 'Bot';
}): Json {
  const base = `${u.apiUrl}/users/${encodeURIComponent(u.login)}`;
  return {
    login: u.login,
    id: u.id,
    node_id: u.nodeId,
    avatar_url: u.avatarUrl,
    gravatar_id: '',
    url: base,
    html_url: u.htmlUrl,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: u.type,
    site_admin: false,
  };
}

/** The App's bot user, as GitHub shows it for objects the App created. */
export const botUser = (apiUrl: string): Json =>
  githubUser({
    apiUrl,
    login: 'autoglm-deploy[bot]',
    id: 1,
    nodeId: 'BOT_1',
    avatarUrl: 'https://avatars.githubusercontent.com/in/1',
    htmlUrl: 'https://github.com/apps/autoglm-deploy',
    type: 'Bot',
  });

export function installationOf(apiUrl: string, app: { id: number; slug: string; installationId: number }, account: Json): Json {
  const base = `${apiUrl}/app/installations/${app.installationId}`;
  return {
    id: app.installationId,
    app_id: app.id,
    app_slug: app.slug,
    target_id: 9919,
    target_type: 'Organization',
    single_file_name: null,
    repository_selection: 'selected',
    access_tokens_url: `${base}/access_tokens`,
    html_url: 'https://github.com/organizations/zai-org/settings/installations/777',
    repositories_url: `${apiUrl}/installation/repositories`,
    events: ['release'],
    account,
    permissions: { checks: 'write', deployments: 'write', issues: 'write' },
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    suspended_by: null,
    suspended_at: null,
  };
}

export interface DeploymentRequest {
  ref: string;
  environment?: string;
  description?: string | null;
  payload?: unknown;
  task?: string;
  production_environment?: boolean;
  transient_environment?: boolean;
}

export function deploymentOf(repoUrl: string, id: number, sha: string, b: DeploymentRequest, creator: Json, now: string): Json {
  return {
    url: `${repoUrl}/deployments/${id}`,
    id,
    node_id: `DE_${id}`,
    sha,
    ref: b.ref,
    task: b.task ?? 'deploy',
    payload: b.payload ?? {},
    original_environment: b.environment ?? 'production',
    environment: b.environment ?? 'production',
    description: b.description ?? null,
    creator,
    created_at: now,
    updated_at: now,
    statuses_url: `${repoUrl}/deployments/${id}/statuses`,
    repository_url: repoUrl,
    transient_environment: b.transient_environment ?? false,
    production_environment: b.production_environment ?? (b.environment ?? 'production') === 'production',
  };
}

export interface DeploymentStatusRequest {
  state: string;
  description?: string;
  log_url?: string;
  environment_url?: string;
  environment?: string;
}

export function deploymentStatusOf(
  repoUrl: string,
  id: number,
  sid: number,
  b: DeploymentStatusRequest,
  deploymentEnvironment: string,
  creator: Json,
  now: string,
): Json {
  return {
    url: `${repoUrl}/deployments/${id}/statuses/${sid}`,
    id: sid,
    node_id: `DES_${sid}`,
    state: b.state,
    creator,
    description: b.description ?? '',
    environment: b.environment ?? deploymentEnvironment,
    target_url: b.log_url ?? '',
    created_at: now,
    updated_at: now,
    deployment_url: `${repoUrl}/deployments/${id}`,
    repository_url: repoUrl,
    environment_url: b.environment_url ?? '',
    log_url: b.log_url ?? '',
  };
}

export function issueOf(
  repoUrl: string,
  where: { owner: string; repo: string },
  id: number,
  number: number,
  b: { title: string; body?: string; labels?: string[] },
  user: Json,
  now: string,
): Json {
  const issueUrl = `${repoUrl}/issues/${number}`;
  return {
    id,
    node_id: `I_${id}`,
    url: issueUrl,
    repository_url: repoUrl,
    labels_url: `${issueUrl}/labels{/name}`,
    comments_url: `${issueUrl}/comments`,
    events_url: `${issueUrl}/events`,
    html_url: `https://github.com/${where.owner}/${where.repo}/issues/${number}`,
    number,
    state: 'open',
    title: b.title,
    body: b.body ?? null,
    user,
    labels: (b.labels ?? []).map((name, i) => ({
      id: id * 10 + i,
      node_id: `LA_${id}${i}`,
      url: `${repoUrl}/labels/${name}`,
      name,
      description: null,
      color: 'ededed',
      default: false,
    })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: 0,
    closed_at: null,
    created_at: now,
    updated_at: now,
    author_association: 'NONE',
  };
}

/** A check run as GitHub creates it, before the request's fields are applied. */
export function newCheckRun(
  repoUrl: string,
  where: { owner: string; repo: string },
  id: number,
  b: { name?: string; head_sha?: string },
  now: string,
): Json {
  return {
    id,
    node_id: `CR_${id}`,
    head_sha: b.head_sha,
    name: b.name,
    url: `${repoUrl}/check-runs/${id}`,
    html_url: `https://github.com/${where.owner}/${where.repo}/runs/${id}`,
    details_url: null,
    status: 'queued',
    conclusion: null,
    started_at: now,
    completed_at: null,
    external_id: null,
    check_suite: { id: 1 },
    output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${repoUrl}/check-runs/${id}/annotations` },
    app: null,
    pull_requests: [],
  };
}
