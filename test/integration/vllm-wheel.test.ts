import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractFiles } from '../../core/server/vllm-contract';
import { deriveContract, VLLM_VERSION } from '../../infra/dev/vllm/contract';

// The checked-in vLLM contract (core/server/vllm/) is what vLLM's released wheel says: derived
// again here from the wheel (downloaded once into the cache, parsed, never installed).
// After a version bump: npm run vllm:contract.
describe(`vLLM ${VLLM_VERSION}'s wheel`, () => {
  it('gives the checked-in flags, values and metrics, file by file', async () => {
    const derived = await deriveContract();
    const dir = join(__dirname, '..', '..', 'core', 'server', 'vllm');
    for (const [file, text] of Object.entries(contractFiles(derived))) {
      expect({ file, text: readFileSync(join(dir, file), 'utf8') }).toEqual({ file, text });
    }
    expect(derived.flags.find((f) => f.names.includes('--tensor-parallel-size'))).toEqual({
      names: ['--tensor-parallel-size', '-tp'],
      takes: 'one',
      type: 'int',
    });
    expect(derived.flags.find((f) => f.names.includes('--enable-prefix-caching'))).toMatchObject({ takes: 'bool' });
  }, 180_000);
});
