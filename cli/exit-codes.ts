/** The CLI's exit codes (documented in docs/cli.md and `--help`). */
export const EXIT = {
  ok: 0,
  /** The release failed or was rolled back. */
  failed: 1,
  /** Bad input: flags, a spec file. */
  invalid: 2,
  /** Another release of the service is running. */
  conflict: 3,
  /** Temporal could not be reached, or no such release. */
  unavailable: 4,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
