/**
 * The backup stores a drill can name, by `backupStore.kind`. Adding one: its file beside
 * directory-store.ts (a BackupStore), its variant in core/drill/spec.ts and one case below
 * (docs/extending.md).
 */
import { assertNever } from '../../core/assert-never';
import type { BackupStoreSpec } from '../../core/drill/spec';
import { DirectoryStore } from './directory-store';
import type { BackupStore } from './store';

export function backupStoreFor(config: BackupStoreSpec): BackupStore {
  switch (config.kind) {
    case 'directory':
      return new DirectoryStore(config.path);
    default:
      return assertNever(config.kind);
  }
}
