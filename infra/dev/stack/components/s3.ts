/**
 * The stack's object storage: SeaweedFS (`weed server`: master, volume server, filer and its S3
 * gateway) on 127.0.0.1, data under the stack's directory. Access keys come from its identity
 * config, as a real deployment gives them; buckets are never created implicitly (as on AWS, an
 * upload to a missing bucket fails), and its telemetry is off (nothing leaves 127.0.0.0/8).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, startDaemon, waitFor } from '../daemon';
import { bin } from '../paths';
import { freePort } from '../ports';
import type { StackState } from '../state';
import { answers } from './http-check';

type S3State = NonNullable<StackState['s3']>;

export const S3_REGION = 'us-east-1';

export async function startS3(dir: string, prev?: S3State): Promise<S3State> {
  if (prev && isAlive(prev.pid) && (await answers(`${prev.endpoint}/healthz`))) return prev;
  const home = join(dir, 'seaweedfs');
  mkdirSync(join(home, 'data'), { recursive: true });
  const accessKeyId = prev?.accessKeyId ?? `AK${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = prev?.secretAccessKey ?? randomBytes(20).toString('base64url');
  const identities = {
    identities: [
      {
        name: 'autoglm',
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
      },
    ],
  };
  writeFileSync(join(home, 's3.json'), JSON.stringify(identities, null, 2), { mode: 0o600 });
  const s3Port = prev ? Number(new URL(prev.endpoint).port) : await freePort();
  // Every listener on a port of its own: SeaweedFS' defaults (9333, 8080, port+10000 for gRPC, …)
  // may be taken. The same ports on every start: the master keeps its Raft state per address
  // (m<port>), and one that comes back on another port starts a new cluster and freezes volume
  // growth ("master state loss"), so no upload succeeds after a restart.
  const portsFile = join(home, 'ports.json');
  const saved = existsSync(portsFile) ? (JSON.parse(readFileSync(portsFile, 'utf8')) as number[]) : [];
  const ports = saved.length === 7 ? saved : await Promise.all(Array.from({ length: 7 }, () => freePort()));
  writeFileSync(portsFile, JSON.stringify(ports));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3Grpc] = ports;
  const logFile = join(dir, 'logs', 'seaweedfs.log');
  const pid = startDaemon({
    name: 'seaweedfs',
    command: bin('weed'),
    args: [
      'server',
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-dir=${join(home, 'data')}`,
      `-master.port=${master}`,
      `-master.port.grpc=${masterGrpc}`,
      '-master.telemetry=false',
      '-master.volumeSizeLimitMB=256',
      `-volume.port=${volume}`,
      `-volume.port.grpc=${volumeGrpc}`,
      '-volume.max=0',
      '-filer',
      `-filer.port=${filer}`,
      `-filer.port.grpc=${filerGrpc}`,
      '-s3',
      `-s3.port=${s3Port}`,
      `-s3.port.grpc=${s3Grpc}`,
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      `-s3.config=${join(home, 's3.json')}`,
      '-s3.autoCreateBucket=false',
      `-s3.localSocket=${join(home, 's3.sock')}`,
    ],
    logFile,
  });
  const endpoint = `http://127.0.0.1:${s3Port}`;
  await waitFor('SeaweedFS S3 gateway', async () => isAlive(pid) && answers(`${endpoint}/healthz`), 120_000, logFile);
  return { pid, endpoint, region: S3_REGION, accessKeyId, secretAccessKey };
}
