// Every workflow the worker registers. A workflow's function name is its wire name: never rename one.
export { githubRelease } from './github-release';
export { inspectGpuPools } from './inspect-gpu-pools';
export { releasePipeline } from './release-pipeline';
export { observeCanaryStep } from './observe-step';
export { gpuPoolLedger } from './gpu-pool-ledger';
export { rollbackService } from './rollback';
export { drDrill } from './dr-drill';
export { protectService } from './protect-service';
export { restoreService } from './restore-service';
