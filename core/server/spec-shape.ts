/** The parts of a parsed service spec an engine reads (kept apart so engines do not import the whole spec schema). */
import type { ModelSource, ServerSpec } from './spec';

export interface ServiceSpecShape {
  model: { name: string; source?: ModelSource };
  gpu: { perReplica: number };
  container: { port: number; args: string[] };
  server: ServerSpec;
}
