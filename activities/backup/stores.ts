/**
 * The backup stores a drill can name, by `backupStore.kind`. Adding one: its file beside
 * directory-store.ts (a BackupStore), its variant in core/drill/spec.ts and one case below
 * (docs/extending.md).
 */
import { assertNever } from '../../core/assert-never';
import type { BackupStoreSpec } from '../../core/drill/spec';
import { DirectoryStore } from './directory-store';
import { S3Store, type S3Connection } from './s3-store';
import type { BackupStore } from './store';

/** How the worker reaches the stores whose spec names no address (S3: the worker's configuration). */
export interface StoreConnections {
  s3?: S3Connection;
}

export function backupStoreFor(config: BackupStoreSpec, connections: StoreConnections = {}): BackupStore {
  switch (config.kind) {
    case 'directory':
      return new DirectoryStore(config.path);
    case 's3':
      return S3Store.connect(connections.s3 ?? {}, config.bucket, config.prefix);
    default:
      return assertNever(config);
  }
}
