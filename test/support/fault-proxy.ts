/**
 * Toxiproxy (the real one, built into the cache by the stack's install) as the fault proxy of
 * the reliability tests: a TCP proxy between the worker and kube-apiserver whose toxics add
 * latency, stall or reset connections, and which can be switched off as a whole (an outage).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin } from '../../infra/dev/stack/paths';
import { freePort } from '../../infra/dev/stack/ports';

export interface Toxic {
  type: 'latency' | 'timeout' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'limit_data';
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export class FaultProxy {
  private child?: ChildProcess;
  private api = '';

  async start(): Promise<void> {
    const port = await freePort();
    this.api = `http://127.0.0.1:${port}`;
    this.child = spawn(bin('toxiproxy-server'), ['-host', '127.0.0.1', '-port', String(port)], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${this.api}/version`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('toxiproxy-server did not answer within 10 s');
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** A proxy to `upstream` (host:port); resolves with the address it listens on. */
  async proxy(name: string, upstream: string): Promise<string> {
    const listen = `127.0.0.1:${await freePort()}`;
    await this.call('POST', '/proxies', { name, listen, upstream, enabled: true });
    return listen;
  }

  async addToxic(proxy: string, name: string, toxic: Toxic): Promise<void> {
    await this.call('POST', `/proxies/${proxy}/toxics`, { name, stream: 'downstream', toxicity: 1, ...toxic });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${proxy}/toxics/${name}`);
  }

  /** Disabled: every connection through it is closed and new ones are refused, until enabled again. */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${proxy}`, { enabled });
  }
}

const SERVER = /server:\s*https:\/\/([^\s/]+)/;

/** The API server's host:port in a kubeconfig. */
export function apiServerOf(kubeconfig: string): string {
  const match = SERVER.exec(readFileSync(kubeconfig, 'utf8'));
  if (!match) throw new Error(`no https server in ${kubeconfig}`);
  return match[1]!;
}

/** A copy of the kubeconfig whose server goes through `listen` (the API server's certificate names 127.0.0.1). */
export function kubeconfigThrough(kubeconfig: string, listen: string, dir: string): string {
  const path = join(dir, 'kubeconfig-through-proxy.yaml');
  writeFileSync(path, readFileSync(kubeconfig, 'utf8').replace(SERVER, `server: https://${listen}`));
  return path;
}
