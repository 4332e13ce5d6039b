import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSupplyChainActivities } from '../../activities/supplychain';
import { startRelease } from '../../client/releases';
import { ErrorType } from '../../core/errors';
import { attestImage, publishImage, stackSigningKey, type PublishedImage, type SigningKey } from '../../infra/dev/image/publish';
import { run } from '../../infra/dev/stack/exec';
import { bin } from '../../infra/dev/stack/paths';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';

// Real artefacts only: images pushed to the stack's registry and signed by the cosign binary.
const { verifyImage } = createSupplyChainActivities();
const crane = (...args: string[]) => run(bin('crane'), args);
const typeOf = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
};

describe('supply chain: digest pinning and cosign signatures', () => {
  let key: string;
  let otherKey: string;
  const publish = (repo: string, sign: ('legacy' | 'bundle')[], content = repo) =>
    publishImage(testStack(), { repository: `sc/${repo}`, tag: 'v1', sign, files: { 'etc/content': `${content}\n` } });
  beforeAll(async () => {
    const signed = await publish('keyholder', ['legacy']);
    key = readFileSync(signed.publicKeyPath, 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'other-key-'));
    await run(bin('cosign'), ['generate-key-pair', '--output-key-prefix', join(dir, 'other')], { env: { COSIGN_PASSWORD: 'x' } });
    otherKey = readFileSync(join(dir, 'other.pub'), 'utf8');
  });

  it.each([
    [
      ['legacy', 'bundle'],
      ['legacy', 'bundle'],
    ],
    [['legacy'], ['legacy']],
    [['bundle'], ['bundle']],
  ] as const)('accepts an image signed in %j, reporting %j', async (formats, expected) => {
    const image = await publish(`signed-${formats.join('-')}`, [...formats]);
    const verified = await verifyImage({ image: image.reference, cosignKeys: [key] });
    expect(verified.reference).toBe(image.reference);
    expect(verified.signatures.map((s) => s.format)).toEqual(expected);
    expect(new Set(verified.signatures.map((s) => s.keyId)).size).toBe(1);
  });

  it('pins a tag to the digest it points at', async () => {
    const image = await publish('by-tag', ['legacy']);
    const verified = await verifyImage({ image: image.tagged, cosignKeys: [key] });
    expect(verified).toMatchObject({ reference: image.reference, digest: image.digest });
  });

  it('refuses an unsigned image', async () => {
    const image = await publish('unsigned', []);
    const err = await typeOf(verifyImage({ image: image.reference, cosignKeys: [key] }));
    expect(err.type).toBe(ErrorType.NoSignature);
    expect(err.nonRetryable).toBe(true);
  });

  it('refuses a signature by another key', async () => {
    const image = await publish('wrong-key', ['legacy', 'bundle']);
    const err = await typeOf(verifyImage({ image: image.reference, cosignKeys: [otherKey] }));
    expect(err.type).toBe(ErrorType.SignatureInvalid);
    expect(err.message).toMatch(/2 signature\(s\) found .* none verifies/);
  });

  it('refuses a signature made for another digest, copied next to this image', async () => {
    const signed = await publish('copied-sig', ['legacy']);
    const other = await publishImage(testStack(), {
      repository: 'sc/copied-sig',
      tag: 'v2',
      sign: [],
      files: { 'etc/content': 'tampered\n' },
    });
    const repo = `${testStack().registry.host}/sc/copied-sig`;
    await crane('copy', `${repo}:${signed.digest.replace(':', '-')}.sig`, `${repo}:${other.digest.replace(':', '-')}.sig`);
    const err = await typeOf(verifyImage({ image: other.reference, cosignKeys: [key] }));
    expect(err.type).toBe(ErrorType.DigestMismatch);
    expect(err.message).toContain(`is for ${signed.digest}, not for ${other.digest}`);
  });

  it('follows a re-tagged image to its new digest, and finds it unsigned', async () => {
    const signed = await publish('retagged', ['legacy']);
    const swapped: PublishedImage = await publishImage(testStack(), {
      repository: 'sc/retagged',
      tag: 'v1',
      sign: [],
      files: { 'etc/content': 'swapped\n' },
    });
    expect(swapped.digest).not.toBe(signed.digest);
    const err = await typeOf(verifyImage({ image: signed.tagged, cosignKeys: [key] }));
    expect(err.type).toBe(ErrorType.NoSignature);
    expect(err.message).toContain(swapped.digest);
    // By digest, the signed content is still what is deployed.
    expect((await verifyImage({ image: signed.reference, cosignKeys: [key] })).digest).toBe(signed.digest);
  });

  it('refuses an image whose signatures were stripped', async () => {
    const image = await publish('stripped', ['legacy', 'bundle']);
    const repo = `${testStack().registry.host}/sc/stripped`;
    // The registry deletes manifests by digest only.
    for (const tag of [`${image.digest.replace(':', '-')}.sig`, image.digest.replace(':', '-')]) {
      await crane('delete', `${repo}@${(await crane('digest', `${repo}:${tag}`)).trim()}`);
    }
    const err = await typeOf(verifyImage({ image: image.reference, cosignKeys: [key] }));
    expect(err.type).toBe(ErrorType.NoSignature);
  });

  it('refuses an image that does not exist, without retrying', async () => {
    const err = await typeOf(verifyImage({ image: `${testStack().registry.host}/sc/nothing@sha256:${'0'.repeat(64)}`, cosignKeys: [] }));
    expect(err.type).toBe(ErrorType.ImageNotFound);
    expect(err.nonRetryable).toBe(true);
  });

  describe('SLSA provenance (cosign attest)', () => {
    const policy = {
      repository: 'https://github.com/zai-org/Open-AutoGLM',
      refPrefix: 'refs/tags/',
      builders: ['https://github.com/actions/runner/github-hosted'],
    };
    const provenance = (repository: string) => ({
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: { workflow: { repository, ref: 'refs/tags/v2.0.0', path: '.github/workflows/release.yml' } },
      },
      runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
    });
    const attested = async (name: string, repository: string, format: 'legacy' | 'bundle', signingKey?: SigningKey) => {
      const image = await publish(name, ['legacy']);
      await attestImage(
        image.reference,
        signingKey ?? (await stackSigningKey(testStack())),
        provenance(repository),
        'slsaprovenance1',
        format,
      );
      return image;
    };

    it.each(['legacy', 'bundle'] as const)('accepts provenance from the expected repository, builder and tag (%s)', async (format) => {
      const image = await attested(`prov-ok-${format}`, policy.repository, format);
      const verified = await verifyImage({ image: image.reference, cosignKeys: [key], provenance: policy });
      expect(verified.provenance).toEqual({ repository: policy.repository, ref: 'refs/tags/v2.0.0', builder: policy.builders[0] });
    });

    it('refuses provenance from another repository', async () => {
      const image = await attested('prov-other-repo', 'https://github.com/someone/fork', 'legacy');
      const err = await typeOf(verifyImage({ image: image.reference, cosignKeys: [key], provenance: policy }));
      expect(err.type).toBe(ErrorType.ProvenanceMismatch);
      expect(err.message).toMatch(/built from https:\/\/github.com\/someone\/fork, not https:\/\/github.com\/zai-org\/Open-AutoGLM/);
    });

    it('refuses an image with no provenance, or one attested by another key', async () => {
      const none = await publish('prov-none', ['legacy']);
      expect((await typeOf(verifyImage({ image: none.reference, cosignKeys: [key], provenance: policy }))).type).toBe(
        ErrorType.MissingAttestation,
      );
      const dir = mkdtempSync(join(tmpdir(), 'attester-'));
      await run(bin('cosign'), ['generate-key-pair', '--output-key-prefix', join(dir, 'k')], { env: { COSIGN_PASSWORD: 'p' } });
      const other = await attested('prov-other-key', policy.repository, 'legacy', {
        privateKeyPath: join(dir, 'k.key'),
        publicKeyPath: join(dir, 'k.pub'),
        password: 'p',
      });
      const err = await typeOf(verifyImage({ image: other.reference, cosignKeys: [key], provenance: policy }));
      expect(err.type).toBe(ErrorType.MissingAttestation);
      expect(err.message).toMatch(/not signed by a trusted signer/);
    });
  });

  describe('in the release pipeline', () => {
    const h = useReleaseHarness('sc', 'file');
    const spec = (image: string) => ({
      service: 'llm',
      namespace: h.ns,
      version: 'v1',
      image,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 1,
      rollout: { steps: [{ weight: 50 }] },
      supplyChain: { cosignKeys: [key] },
    });

    it('refuses an unsigned image before anything reaches the cluster', async () => {
      const image = await publish('release-unsigned', []);
      const err = await (
        await startRelease(h.worker.client, spec(image.tagged), { taskQueue: h.worker.taskQueue })
      )
        .result()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe(ErrorType.NoSignature);
      expect(cause.message).toMatch(/^image refused: .*no cosign signature found/);
      expect((await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items).toHaveLength(0);
      expect((await h.kube.core.listNamespacedService({ namespace: h.ns })).items).toHaveLength(0);
    });

    it('deploys a signed image by the digest its tag resolved to', async () => {
      const image = await publish('release-signed', ['bundle']);
      const result = await (await startRelease(h.worker.client, spec(image.tagged), { taskQueue: h.worker.taskQueue })).result();
      expect(result.outcome).toBe('promoted');
      expect(result.status.image).toMatchObject({ reference: image.reference, signatures: [{ format: 'bundle' }] });
      const [d] = (await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items;
      expect(d!.spec!.template.spec!.containers[0]!.image).toBe(image.reference);
    });
  });
});
