/** The serving engines, by the name a spec's `server.engine` gives. */
import type { ServingEngine } from './engine';
import type { EngineName } from './spec';
import { sglang } from './sglang';
import { vllm } from './vllm';

export const ENGINES_BY_NAME: Record<EngineName, ServingEngine> = { vllm, sglang };
export const engineOf = (name: EngineName): ServingEngine => ENGINES_BY_NAME[name];
export { MODEL_MOUNT } from './engine';
