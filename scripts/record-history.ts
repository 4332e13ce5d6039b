/**
 * Records a finished workflow's history as a replay fixture:
 *   npm run history:record -- <workflowId> <fixture-name> [runId]
 * Writes test/replay/histories/<fixture-name>.json. Stack traces are blanked: they hold the
 * recording machine's paths and play no part in replay.
 */
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'stackTrace' ? '' : scrub(v)]));
  }
  return value;
}

async function main(): Promise<void> {
  const [workflowId, name, runId] = process.argv.slice(2);
  if (!workflowId || !name) throw new Error('usage: record-history <workflowId> <fixture-name> [runId]');
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowId, runId).fetchHistory();
    const out = join(__dirname, '..', 'test', 'replay', 'histories', `${name}.json`);
    writeFileSync(out, `${JSON.stringify(scrub(JSON.parse(historyToJSON(history))), null, 2)}\n`);
    console.log(`wrote ${out} (${history.events?.length ?? 0} events)`);
  } finally {
    await connection.close();
  }
}

main().catch((err: Error) => {
  console.error(`record-history: ${err.message}`);
  process.exit(1);
});
