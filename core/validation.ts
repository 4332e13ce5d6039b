import type { z } from 'zod';

/** One line per problem, each naming the field: what a person reads when input is refused. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
