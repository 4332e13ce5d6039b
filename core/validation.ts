import type { z } from 'zod';

const where = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(root)');

/**
 * One line per problem, each naming the field: what a person reads when input is refused. A
 * misspelt field is named by its own path (`gpu.perReplicas`), since a typo is the usual cause.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => `${where([...i.path, key])}: unknown field`)
        : [`${where(i.path)}: ${i.message}`],
    )
    .join('; ');
}
