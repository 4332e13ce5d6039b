/**
 * A container's environment as the kubelet builds it: literal values, and `valueFrom` references
 * to Secret and ConfigMap keys read from the API server. A reference that does not resolve (and
 * is not optional) keeps the container from starting, as the kubelet's CreateContainerConfigError.
 */
import type { CoreV1Api, V1Container } from '@kubernetes/client-node';

export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
}

const statusOf = (err: unknown) => (err as { code?: number }).code;

export async function containerEnv(core: CoreV1Api, namespace: string, container: V1Container): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const secrets = new Map<string, Record<string, string> | undefined>();
  const configMaps = new Map<string, Record<string, string> | undefined>();
  const read = async (kind: 'Secret' | 'ConfigMap', name: string): Promise<Record<string, string> | undefined> => {
    const cache = kind === 'Secret' ? secrets : configMaps;
    if (!cache.has(name)) {
      try {
        if (kind === 'Secret') {
          const s = await core.readNamespacedSecret({ namespace, name });
          cache.set(name, Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])));
        } else {
          cache.set(name, (await core.readNamespacedConfigMap({ namespace, name })).data ?? {});
        }
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        cache.set(name, undefined);
      }
    }
    return cache.get(name);
  };
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    if (!ref) continue;
    const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
    const value = (await read(kind, ref.name ?? ''))?.[ref.key];
    if (value !== undefined) env[e.name] = value;
    else if (!ref.optional) throw new ContainerConfigError(`${e.name}: ${kind} ${namespace}/${ref.name} has no key ${ref.key}`);
  }
  return env;
}
