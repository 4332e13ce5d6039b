// Jest's CommonJS runtime cannot require() ES modules on Node 20 (plain Node can), so packages
// published as ESM only (@kubernetes/client-node 1.x, octokit 5, …) are compiled to CommonJS by swc.
// The list is read from node_modules so a dependency update needs no edit here.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

function esmOnlyPackages(dir = join(__dirname, 'node_modules')) {
  const names = [];
  const isEsm = (pkgDir) => {
    try {
      return JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).type === 'module';
    } catch {
      return false;
    }
  };
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const sub of readdirSync(join(dir, entry))) if (isEsm(join(dir, entry, sub))) names.push(`${entry}/${sub}`);
    } else if (isEsm(join(dir, entry))) names.push(entry);
  }
  return names;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

const common = {
  testEnvironment: 'node',
  resolver: '<rootDir>/test/support/jest-resolver.js',
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages().map(escape).join('|')})/)`],
};

module.exports = {
  // Integration tests wait on real servers (model loads, scheduling); they assert outcomes, never durations.
  testTimeout: 120_000,
  // Integration tests share the stack's GPU pools: run test files one at a time.
  maxWorkers: 1,
  projects: [
    // Pure logic, schemas, properties (fast-check) and replay of recorded histories: no servers.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/{unit,replay,property}/**/*.test.ts'] },
    // Workflow control flow with scripted activities, on Temporal's time-skipping test server.
    {
      ...common,
      displayName: 'workflow',
      testMatch: ['<rootDir>/test/workflow/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/install-setup.ts',
    },
    // Against the real local stack, which the global setup starts (and stops, if it started it).
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    // Real faults on the real stack: worker processes killed with SIGKILL, servers stopped.
    {
      ...common,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
