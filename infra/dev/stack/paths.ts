import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Everything downloaded or built lives here, outside the repository, and is reused. */
export const CACHE_DIR = resolve(process.env.AUTOGLM_CACHE_DIR ?? join(homedir(), '.cache', 'autoglm-deploy'));
export const BIN_DIR = join(CACHE_DIR, 'bin');
export const BUILD_LOG_DIR = join(CACHE_DIR, 'logs');
export const GO_ENV = {
  GOPATH: join(CACHE_DIR, 'gopath'),
  GOCACHE: join(CACHE_DIR, 'gocache'),
  GOFLAGS: '-mod=mod',
  CGO_ENABLED: '0',
};

/** A running stack keeps its state, data and logs in a directory of its own. */
export const stackDir = (name: string): string => join(CACHE_DIR, 'stacks', name);

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const bin = (name: string): string => join(BIN_DIR, name);
