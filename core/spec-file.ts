/** Reads a service spec from the text of a YAML or JSON file (JSON is YAML); errors say where. */
import { parseDocument } from 'yaml';
import { ServiceSpec } from './service-spec';
import { describeIssues } from './validation';

export class SpecFileError extends Error {
  override name = 'SpecFileError';
}

/** YAML or JSON text as data; a syntax error names the file, line and column. */
export function parseYamlText(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `${source}:${e.linePos[0].line}:${e.linePos[0].col}` : source;
    throw new SpecFileError(`${where}: not valid YAML/JSON: ${e.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS(); // aliases resolve here: an unknown or runaway one throws
  } catch (err) {
    throw new SpecFileError(`${source}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function parseSpecText(text: string, source: string): ServiceSpec {
  const parsed = ServiceSpec.safeParse(parseYamlText(text, source));
  if (!parsed.success) throw new SpecFileError(`${source}: invalid service spec: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
