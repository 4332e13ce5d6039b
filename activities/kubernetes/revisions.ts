/**
 * The revision history lives beside the service, in a ConfigMap of its namespace (as Helm keeps
 * releases): whoever can see the service can see what it ran, and a rollback needs nothing else.
 * Written read-modify-write with the resourceVersion: a concurrent writer makes the update fail
 * with 409, which the activity's retry resolves.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { FIELD_MANAGER, LABELS } from '../../core/manifests';
import { appendRevision, type RevisionRecord } from '../../core/revision-history';
import type { Kube } from './client';
import { classifyKubeError, statusOf } from './errors';

export const historyConfigMapName = (service: string) => `autoglm-revisions-${service}`;
const KEY = 'history.json';

async function read(kube: Kube, namespace: string, service: string): Promise<V1ConfigMap | undefined> {
  try {
    return await kube.core.readNamespacedConfigMap({ namespace, name: historyConfigMapName(service) });
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw classifyKubeError(err, `reading the revision history of ${namespace}/${service}`);
  }
}

const parse = (cm: V1ConfigMap | undefined): RevisionRecord[] => (cm?.data?.[KEY] ? (JSON.parse(cm.data[KEY]) as RevisionRecord[]) : []);

export async function readRevisionHistory(kube: Kube, namespace: string, service: string): Promise<RevisionRecord[]> {
  return parse(await read(kube, namespace, service));
}

export async function recordRevision(kube: Kube, namespace: string, service: string, record: RevisionRecord): Promise<void> {
  const cm = await read(kube, namespace, service);
  const data = { [KEY]: JSON.stringify(appendRevision(parse(cm), record)) };
  try {
    if (!cm) {
      await kube.core.createNamespacedConfigMap({
        namespace,
        fieldManager: FIELD_MANAGER,
        body: {
          metadata: {
            name: historyConfigMapName(service),
            namespace,
            labels: { [LABELS.name]: service, [LABELS.managedBy]: FIELD_MANAGER },
          },
          data,
        },
      });
    } else {
      await kube.core.replaceNamespacedConfigMap({
        namespace,
        name: cm.metadata!.name!,
        fieldManager: FIELD_MANAGER,
        body: { ...cm, data },
      });
    }
  } catch (err) {
    throw classifyKubeError(err, `recording revision ${record.revision} of ${namespace}/${service}`);
  }
}
