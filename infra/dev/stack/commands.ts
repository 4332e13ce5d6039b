/** The stack commands, printing as they go; shared by `npm run stack:*` and `autoglm-deploy stack`. Each returns an exit code. */
import { DEFAULT_STACK, stackDown, stackStatus, stackUp } from './stack';
import { readState, stackEnv } from './state';

export async function up(name: string = DEFAULT_STACK): Promise<number> {
  const started = Date.now();
  const state = await stackUp(name);
  console.log(`stack "${name}" is up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  // Secrets stay out of terminals and CI logs here; `stack env` prints them for eval.
  for (const [k, v] of Object.entries(stackEnv(state))) console.log(`  ${k}=${/SECRET|TOKEN|PASSWORD/.test(k) ? '(hidden)' : v}`);
  if (state.temporal) console.log(`  Temporal UI: ${state.temporal.uiUrl}`);
  return 0;
}

export async function down(name: string = DEFAULT_STACK, purge = false): Promise<number> {
  await stackDown(name, { purge });
  console.log(`stack "${name}" is down${purge ? ' (data deleted)' : ''}`);
  return 0;
}

/** 0 when every component is up, 1 otherwise. */
export async function status(name: string = DEFAULT_STACK, json = false): Promise<number> {
  const st = await stackStatus(name);
  if (json) console.log(JSON.stringify(st));
  else for (const s of st) console.log(`${s.up ? 'up  ' : 'down'}  ${s.component.padEnd(24)} ${s.endpoint ?? ''}`);
  return st.every((s) => s.up) ? 0 : 1;
}

export function env(name: string = DEFAULT_STACK): number {
  const state = readState(name);
  if (!state) throw new Error(`stack "${name}" has never been started (npm run stack:up)`);
  for (const [k, v] of Object.entries(stackEnv(state))) console.log(`export ${k}=${v}`);
  return 0;
}
