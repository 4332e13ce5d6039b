/** Traffic kind `replica-ratio` (core/traffic/replica-ratio.ts): its Services are its whole state. */
import { replicaRatio } from '../../core/traffic/replica-ratio';
import { ObjectRouter, type RouterFactory } from './router';

export const replicaRatioRouter: RouterFactory<'replica-ratio'> = (kube, spec, traffic) =>
  new ObjectRouter(kube, spec, traffic, replicaRatio);
