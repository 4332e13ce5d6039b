/**
 * Kubernetes objects as the API server writes them ("wire" form) and as @kubernetes/client-node's
 * models hold them. The models rename a few fields (NetworkPolicy `from` is `_from`): the client
 * serializes what it sends from the model form, so a wire-form `from` would be dropped, silently
 * turning an ingress rule into "allow everyone". Everything that crosses our code is wire form.
 */
// Not exported from the package index; the package has no `exports` map, so the path is public.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

/** client-node's model name for an object: "<Version><Kind>" (unknown kinds: a generic object kept as is). */
const modelType = (apiVersion: string, kind: string) => {
  const version = apiVersion.split('/').at(-1)!;
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
};

interface Typed {
  apiVersion?: string;
  kind?: string;
}

/** Wire form → the model the client sends (it serializes back to the same wire form). */
export const toModel = <T extends Typed>(obj: T): T =>
  obj.apiVersion && obj.kind ? (ObjectSerializer.deserialize(obj, modelType(obj.apiVersion, obj.kind)) as T) : obj;

/** A model the client returned → wire form (what a person would write, and what the API server stores). */
export const toWire = <T extends Typed>(obj: T): T =>
  obj.apiVersion && obj.kind ? (ObjectSerializer.serialize(obj, modelType(obj.apiVersion, obj.kind)) as T) : obj;
