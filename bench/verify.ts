/**
 * npm run bench:verify — time to pin and verify one cosign-signed image (legacy .sig and a
 * sigstore bundle) on the stack's registry: the first verification in a fresh process (cold:
 * new connections, key parsing) and repeated ones (warm), with the registry requests each takes.
 * Then the same for a keyless bundle (certificate chain, SCT, transparency-log inclusion, identity
 * policy) from the stack's test sigstore. Prints a table; the last line is one JSON object.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createSupplyChainActivities } from '../activities/supplychain';
import { signImageKeyless } from '../infra/dev/image/keyless';
import { publishImage } from '../infra/dev/image/publish';
import { GITHUB_ACTIONS_ISSUER, ensureTestSigstore } from '../infra/dev/sigstore/test-sigstore';
import { stackUp } from '../infra/dev/stack/stack';
import { median, report, round } from './support';

const WARM_RUNS = Number(process.env.WARM_RUNS ?? 50);

async function main(): Promise<void> {
  const stack = await stackUp(process.env.AUTOGLM_STACK ?? 'bench');
  const image = await publishImage(stack, { repository: 'bench/verify', tag: `t${Date.now()}`, sign: ['legacy', 'bundle'] });
  const key = readFileSync(image.publicKeyPath, 'utf8');
  let requests = 0;
  const { verifyImage } = createSupplyChainActivities({ onRequest: () => requests++ });
  const once = async (ref: string) => {
    requests = 0;
    const t = performance.now();
    const v = await verifyImage({ image: ref, cosignKeys: [key] });
    if (v.signatures.length !== 2) throw new Error(`expected 2 verified signatures, got ${v.signatures.length}`);
    return { ms: performance.now() - t, requests };
  };
  const cold = await once(image.reference);
  const warm: number[] = [];
  let warmRequests = 0;
  for (let i = 0; i < WARM_RUNS; i++) {
    const r = await once(image.reference);
    warm.push(r.ms);
    warmRequests = r.requests;
  }
  const byTag = await once(image.tagged);

  // Keyless: a fresh activity group, so its first verification also reads the trusted root.
  const sigstore = await ensureTestSigstore(stack.dir);
  const identity = {
    issuer: GITHUB_ACTIONS_ISSUER,
    subject: 'https://github.com/zai-org/Open-AutoGLM/.github/workflows/release.yml@refs/tags/v2.0.0',
  };
  const keylessImage = await publishImage(stack, { repository: 'bench/verify-keyless', tag: `t${Date.now()}`, sign: [] });
  await signImageKeyless(sigstore, keylessImage.reference, identity);
  const keyless = createSupplyChainActivities({ onRequest: () => requests++, trustedRootPath: sigstore.trustedRootPath });
  const onceKeyless = async () => {
    requests = 0;
    const t = performance.now();
    const v = await keyless.verifyImage({ image: keylessImage.reference, cosignKeys: [], keyless: [identity] });
    if (v.signatures[0]?.identity?.subject !== identity.subject) throw new Error('keyless signature not verified');
    return { ms: performance.now() - t, requests };
  };
  const keylessCold = await onceKeyless();
  const keylessWarm: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) keylessWarm.push((await onceKeyless()).ms);
  const figures = {
    coldMs: round(cold.ms),
    coldRequests: cold.requests,
    warmMsMedian: round(median(warm)),
    warmMsMax: round(Math.max(...warm)),
    warmRequests,
    warmRuns: WARM_RUNS,
    byTagMs: round(byTag.ms),
    byTagRequests: byTag.requests,
    formats: ['legacy', 'bundle'],
    keylessColdMs: round(keylessCold.ms),
    keylessRequests: keylessCold.requests,
    keylessWarmMsMedian: round(median(keylessWarm)),
    keylessWarmMsMax: round(Math.max(...keylessWarm)),
  };
  report(
    'bench:verify (pin + cosign key-based verification, legacy .sig and bundle via referrers fallback, local registry)',
    [
      ['cold: first verification in the process (ms / registry requests)', `${figures.coldMs} / ${figures.coldRequests}`],
      [`warm: median / max of ${WARM_RUNS} (ms)`, `${figures.warmMsMedian} / ${figures.warmMsMax}`],
      ['warm: registry requests per verification', figures.warmRequests],
      ['by tag (resolve + verify, ms / requests)', `${figures.byTagMs} / ${figures.byTagRequests}`],
      ['keyless bundle: cold (ms / registry requests)', `${figures.keylessColdMs} / ${figures.keylessRequests}`],
      [`keyless bundle: warm median / max of ${WARM_RUNS} (ms)`, `${figures.keylessWarmMsMedian} / ${figures.keylessWarmMsMax}`],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:verify failed: ${err.message}`);
    process.exit(1);
  },
);
