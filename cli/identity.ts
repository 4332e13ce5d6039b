import { IdentityMismatchError, actingIdentity } from '../security/acting-identity';
import { CliError, EXIT } from './exit-codes';

/** Who this command acts as (see security/acting-identity.ts); a name the certificate contradicts is bad input. */
export function identity(claimed: string | undefined): string {
  try {
    return actingIdentity(claimed, process.env.USER ?? 'cli');
  } catch (err) {
    if (err instanceof IdentityMismatchError) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
}
