import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReceiverConfig } from '../../webhook/config';
import { MalformedReleaseError, parsePublishedRelease } from '../../webhook/release-event';
import { releasePublishedPayload } from '../support/github/webhooks';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const event = (body: string | null, over: Record<string, unknown> = {}) => ({
  ...releasePublishedPayload({ repository: 'zai-org/Open-AutoGLM', tag: 'v1.2.0', body, sender: 'alice', installationId: 42 }),
  ...over,
});

describe('parsePublishedRelease', () => {
  it('reads the repository, tag, pinned image and sender', () => {
    expect(parsePublishedRelease(event(`Notes.\n\nimage: registry.example.com/open-autoglm@${DIGEST}\n`))).toEqual({
      owner: 'zai-org',
      repo: 'Open-AutoGLM',
      tag: 'v1.2.0',
      image: `registry.example.com/open-autoglm@${DIGEST}`,
      version: 'v1.2.0',
      prerelease: false,
      url: 'https://github.com/zai-org/Open-AutoGLM/releases/tag/v1.2.0',
      sender: 'alice',
      installationId: 42,
    });
  });

  it('takes a version line over the tag, and tolerates Markdown code and case', () => {
    const r = parsePublishedRelease(event(`Image: \`registry.example.com/m@${DIGEST}\`\r\nversion: glm-4.1v-9b\r\n`));
    expect(r).toMatchObject({ image: `registry.example.com/m@${DIGEST}`, version: 'glm-4.1v-9b' });
  });

  it.each([
    [null, /no "image: /],
    ['image: registry.example.com/m:latest', /not pinned by digest/],
    ['image: open-autoglm@' + DIGEST, /not an image reference/],
    [`image: registry.example.com/m@sha256:short`, /not an image reference/],
  ])('refuses body %p', (body, reason) => {
    expect(() => parsePublishedRelease(event(body))).toThrow(reason);
  });

  it('names the field of a payload that is not a release event', () => {
    const err = (() => {
      try {
        parsePublishedRelease(event('x', { repository: { full_name: 'nope' } }));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(MalformedReleaseError);
    expect(err!.message).toMatch(/repository/);
  });
});

describe('loadReceiverConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autoglm-rc-'));
  const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  write(
    'svc.yaml',
    `service: llm\nnamespace: models\nversion: v0\nimage: registry.example.com/m@${DIGEST}\nmodel: { name: m }\ngpu: { pool: l4, perReplica: 1 }\nreplicas: 1\nrollout: { steps: [{ weight: 50 }] }\n`,
  );

  it('loads each repository with its spec, by lower-case name', () => {
    const c = loadReceiverConfig(write('ok.yaml', 'repositories:\n  Zai-Org/Open-AutoGLM: { spec: svc.yaml }\n'), 's3cret');
    expect(c.path).toBe('/webhooks/github');
    expect(c.repositories.get('zai-org/open-autoglm')).toMatchObject({ prereleases: false, spec: { service: 'llm', namespace: 'models' } });
  });

  it.each([
    ['no secret', 'repositories:\n  a/b: { spec: svc.yaml }\n', undefined, /GITHUB_WEBHOOK_SECRET/],
    ['no repositories', 'repositories: {}\n', 's', /at least one repository/],
    ['a bad name', 'repositories:\n  just-a-name: { spec: svc.yaml }\n', 's', /owner\/repo/],
    ['a missing spec', 'repositories:\n  a/b: { spec: gone.yaml }\n', 's', /repository a\/b: cannot read .*gone.yaml: ENOENT/],
  ])('refuses %s', (_what, text, secret, reason) => {
    expect(() => loadReceiverConfig(write(`bad-${Math.random()}.yaml`, text), secret)).toThrow(reason);
  });
});
