import { ApplicationFailure } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import { createSupplyChainActivities } from '../../activities/supplychain';
import { startRelease } from '../../client/releases';
import { ErrorType } from '../../core/errors';
import { attestImageKeyless, signImageKeyless } from '../../infra/dev/image/keyless';
import { publishImage, stackSigningKey } from '../../infra/dev/image/publish';
import { GITHUB_ACTIONS_ISSUER, ensureTestSigstore, type TestSigstore } from '../../infra/dev/sigstore/test-sigstore';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';

// Keyless bundles from the stack's test CA and transparency log, checked under its trusted root:
// the same files and code paths as the public sigstore root in production.
const WORKFLOW = 'https://github.com/zai-org/Open-AutoGLM/.github/workflows/release.yml@refs/tags/v2.0.0';
const releaser = { subject: WORKFLOW, issuer: GITHUB_ACTIONS_ISSUER };
const policy = [{ issuer: GITHUB_ACTIONS_ISSUER, subject: WORKFLOW }];
const typeOf = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).nonRetryable).toBe(true);
  return err as ApplicationFailure;
};

describe('supply chain: keyless sigstore bundles', () => {
  let sigstore: TestSigstore;
  let verifyImage: ReturnType<typeof createSupplyChainActivities>['verifyImage'];
  const unsigned = async (repo: string) =>
    (await publishImage(testStack(), { repository: `kl/${repo}`, tag: 'v1', sign: [], files: { 'etc/content': `${repo}\n` } })).reference;
  const signed = async (repo: string, identity = releaser, opts: Parameters<typeof signImageKeyless>[3] = {}) => {
    const image = await unsigned(repo);
    await signImageKeyless(sigstore, image, identity, opts);
    return image;
  };
  beforeAll(async () => {
    sigstore = await ensureTestSigstore(testStack().dir);
    ({ verifyImage } = createSupplyChainActivities({ trustedRootPath: sigstore.trustedRootPath }));
  });

  it('accepts a bundle certified for an allowed identity, and reports that identity', async () => {
    const image = await signed('good');
    const verified = await verifyImage({ image, cosignKeys: [], keyless: policy });
    expect(verified.signatures).toEqual([{ format: 'bundle', identity: releaser }]);
  });

  it('matches a subject pattern against the whole subject', async () => {
    const image = await signed('pattern');
    const tags = String.raw`https://github\.com/zai-org/Open-AutoGLM/\.github/workflows/release\.yml@refs/tags/v.*`;
    await expect(
      verifyImage({ image, cosignKeys: [], keyless: [{ issuer: GITHUB_ACTIONS_ISSUER, subjectRegExp: tags }] }),
    ).resolves.toBeDefined();
    // Anchored: a pattern matching only part of the subject is not enough.
    const err = await typeOf(
      verifyImage({ image, cosignKeys: [], keyless: [{ issuer: GITHUB_ACTIONS_ISSUER, subjectRegExp: 'zai-org/Open-AutoGLM' }] }),
    );
    expect(err.type).toBe(ErrorType.IdentityMismatch);
  });

  it.each([
    [
      'another workflow',
      { subject: 'https://github.com/someone/fork/.github/workflows/release.yml@refs/heads/main', issuer: GITHUB_ACTIONS_ISSUER },
    ],
    ['another issuer', { subject: WORKFLOW, issuer: 'https://accounts.example.com' }],
  ])('refuses a valid bundle from %s (IdentityMismatch)', async (_name, identity) => {
    const image = await signed(`identity-${identity.issuer.length}-${identity.subject.length}`, identity);
    const err = await typeOf(verifyImage({ image, cosignKeys: [], keyless: policy }));
    expect(err.type).toBe(ErrorType.IdentityMismatch);
    expect(err.message).toContain(`signed by ${identity.subject} issued by ${identity.issuer}`);
  });

  it('refuses a signature logged after its certificate expired (CertificateInvalid)', async () => {
    const image = await signed('expired', releaser, { expiredCertificate: true });
    const err = await typeOf(verifyImage({ image, cosignKeys: [], keyless: policy }));
    expect(err.type).toBe(ErrorType.CertificateInvalid);
    expect(err.message).toMatch(/expired/);
  });

  it('refuses a certificate from a CA outside the trusted root (CertificateInvalid)', async () => {
    const image = await signed('untrusted-ca', releaser, { untrustedAuthority: true });
    const err = await typeOf(verifyImage({ image, cosignKeys: [], keyless: policy }));
    expect(err.type).toBe(ErrorType.CertificateInvalid);
  });

  it('refuses a bundle without a transparency-log entry (TransparencyLogInvalid)', async () => {
    const image = await signed('no-tlog', releaser, { withoutLogEntry: true });
    const err = await typeOf(verifyImage({ image, cosignKeys: [], keyless: policy }));
    expect(err.type).toBe(ErrorType.TransparencyLogInvalid);
  });

  it('refuses a valid keyless signature made for another digest (DigestMismatch)', async () => {
    const other = await unsigned('elsewhere');
    const image = await signed('copied', releaser, { subjectDigest: other.split('@')[1]! });
    const err = await typeOf(verifyImage({ image, cosignKeys: [], keyless: policy }));
    expect(err.type).toBe(ErrorType.DigestMismatch);
  });

  it('refuses keyless bundles when the policy trusts keys only, and keyless policies without a trusted root', async () => {
    const image = await signed('keys-only-policy');
    const key = readFileSync((await stackSigningKey(testStack())).publicKeyPath, 'utf8');
    const keysOnly = await typeOf(verifyImage({ image, cosignKeys: [key] }));
    expect(keysOnly.type).toBe(ErrorType.IdentityMismatch);
    expect(keysOnly.message).toMatch(/policy allows no keyless identities/);
    const err = await typeOf(createSupplyChainActivities().verifyImage({ image, cosignKeys: [], keyless: policy }));
    expect(err.type).toBe(ErrorType.InvalidConfig);
    expect(err.message).toMatch(/AUTOGLM_SIGSTORE_TRUSTED_ROOT/);
  });

  describe('SLSA provenance signed keyless', () => {
    const provenance = (repository: string) => ({
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: { workflow: { repository, ref: 'refs/tags/v2.0.0', path: '.github/workflows/release.yml' } },
      },
      runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
    });
    const want = { repository: 'https://github.com/zai-org/Open-AutoGLM', refPrefix: 'refs/tags/', builders: [] };

    it('accepts provenance attested by the allowed identity, and refuses one from another repository', async () => {
      const good = await signed('prov-good');
      await attestImageKeyless(sigstore, good, 'https://slsa.dev/provenance/v1', provenance(want.repository), releaser);
      const verified = await verifyImage({ image: good, cosignKeys: [], keyless: policy, provenance: want });
      expect(verified.provenance).toMatchObject({ repository: want.repository, ref: 'refs/tags/v2.0.0' });

      const fork = await signed('prov-fork');
      await attestImageKeyless(sigstore, fork, 'https://slsa.dev/provenance/v1', provenance('https://github.com/someone/fork'), releaser);
      expect((await typeOf(verifyImage({ image: fork, cosignKeys: [], keyless: policy, provenance: want }))).type).toBe(
        ErrorType.ProvenanceMismatch,
      );
    });
  });

  describe('enforcement per environment', () => {
    it('under warn, deploys the pinned image and reports every failed check', async () => {
      const image = await unsigned('warned');
      const verified = await verifyImage({
        image,
        cosignKeys: [],
        keyless: policy,
        provenance: { repository: 'https://github.com/x/y', builders: [] },
        enforcement: 'warn',
      });
      expect(verified.reference).toBe(image);
      expect(verified.violations?.map((v) => v.type)).toEqual([ErrorType.NoSignature, ErrorType.MissingAttestation]);
    });

    const h = useReleaseHarness('kl', 'file');
    const spec = (image: string, environment: string) => ({
      service: 'llm',
      namespace: h.ns,
      environment,
      version: 'v1',
      image,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 1,
      rollout: { steps: [{ weight: 50 }] },
      supplyChain: { keyless: policy, enforcement: { staging: 'warn' as const } },
    });

    it('in the pipeline: staging (warn) deploys an unsigned image with its violations in the status; production refuses it', async () => {
      const image = await unsigned('release-warn');
      const refused = await (
        await startRelease(h.worker.client, spec(image, 'production'), { taskQueue: h.worker.taskQueue })
      )
        .result()
        .catch((e: unknown) => e);
      expect(String((refused as Error & { cause?: Error }).cause?.message)).toMatch(/^image refused: .*no cosign signature/);
      expect((await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items).toHaveLength(0);

      const result = await (await startRelease(h.worker.client, spec(image, 'staging'), { taskQueue: h.worker.taskQueue })).result();
      expect(result.outcome).toBe('promoted');
      expect(result.status.image?.violations).toEqual([expect.objectContaining({ type: ErrorType.NoSignature })]);
    });

    it('in the pipeline: a keyless-signed image is deployed by digest with the worker configured from the stack', async () => {
      const image = await signed('release-keyless');
      const result = await (
        await startRelease(h.worker.client, { ...spec(image, 'production'), version: 'v2' }, { taskQueue: h.worker.taskQueue })
      ).result();
      expect(result.status.image).toMatchObject({ reference: image, signatures: [{ format: 'bundle', identity: releaser }] });
      const images = (await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items.map(
        (d) => d.spec!.template.spec!.containers[0]!.image,
      );
      expect(images).toEqual([image]);
    });
  });
});
