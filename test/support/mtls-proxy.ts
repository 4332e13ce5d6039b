/**
 * An mTLS front for the stack's Temporal dev server (which speaks plain gRPC only), as a TLS
 * terminating ingress or Temporal's own frontend TLS would be: it demands a client certificate
 * signed by its CA, then passes the decrypted HTTP/2 bytes through. Certificates from openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';

export interface MtlsPki {
  dir: string;
  caCert: string;
  serverName: string;
  /** Signed by the CA: admitted. */
  client: { cert: string; key: string };
  /** Self-signed: refused. */
  stranger: { cert: string; key: string };
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

export function makePki(serverName = 'temporal.autoglm.test'): MtlsPki {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=autoglm test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const leaf = (name: string, cn: string, ext: string[]) => {
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    writeFileSync(join(dir, `${name}.ext`), ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', ...ext].join('\n'));
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  leaf('server', serverName, [`subjectAltName=DNS:${serverName}`, 'extendedKeyUsage=serverAuth']);
  leaf('client', 'autoglm-worker', ['extendedKeyUsage=clientAuth']);
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'stranger.key',
      '-out',
      'stranger.crt',
      '-days',
      '2',
      '-subj',
      '/CN=stranger',
      '-addext',
      'extendedKeyUsage=clientAuth',
    ],
    dir,
  );
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverName,
    client: { cert: p('client.crt'), key: p('client.key') },
    stranger: { cert: p('stranger.crt'), key: p('stranger.key') },
  };
}

/** Listens on 127.0.0.1 (a free port); resolves with its address and a close function. */
export async function startMtlsProxy(
  pki: MtlsPki,
  upstream: string,
): Promise<{ address: string; handshakesRefused: () => number; close: () => Promise<void> }> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  let refused = 0;
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      key: readFileSync(join(pki.dir, 'server.key')),
      cert: readFileSync(join(pki.dir, 'server.crt')),
      ca: readFileSync(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (tls) => {
      sockets.add(tls);
      const plain = connect(port, host);
      tls.pipe(plain).pipe(tls);
      const end = () => {
        sockets.delete(tls);
        tls.destroy();
        plain.destroy();
      };
      tls.on('error', end).on('close', end);
      plain.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => refused++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakesRefused: () => refused,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
