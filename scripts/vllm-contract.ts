/**
 * Writes the serving contract of the pinned vLLM (infra/dev/vllm/contract.ts) into
 * core/server/vllm/, where the product reads it: `npm run vllm:contract`. A test derives it again
 * from the wheel and fails when the checked-in copy differs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveContract } from '../infra/dev/vllm/contract';
import { contractFiles } from '../core/server/vllm-contract';

export const VLLM_CONTRACT_DIR = join(__dirname, '..', 'core', 'server', 'vllm');

async function main(): Promise<void> {
  const contract = await deriveContract();
  mkdirSync(VLLM_CONTRACT_DIR, { recursive: true });
  for (const [file, text] of Object.entries(contractFiles(contract))) writeFileSync(join(VLLM_CONTRACT_DIR, file), text);
  console.log(
    `vLLM ${contract.version}: ${contract.flags.length} flags, ${contract.metrics.length} engine metrics, ${contract.httpMetrics.length} HTTP metrics → ${VLLM_CONTRACT_DIR}`,
  );
}

void main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
