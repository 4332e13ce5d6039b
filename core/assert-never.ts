/** Ends an exhaustive switch: a new variant without a case is a compile error, and a bad value at run time throws. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
