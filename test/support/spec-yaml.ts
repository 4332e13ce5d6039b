/** A valid service spec as YAML text, with `over` appended (later keys win). */
export const specYaml = (over = '') => `
service: autoglm
namespace: models
version: v2.1.0
image: registry.example/autoglm/server@sha256:${'b'.repeat(64)}
model: { name: open-autoglm-7b, loadBudget: 10m }
gpu: { pool: a100, perReplica: 4 }
replicas: 4
rollout:
  steps:
    - { weight: 10, bake: 5m }
    - { weight: 50, gate: manual }
${over}`;
