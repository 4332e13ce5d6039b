/** Traffic kind `gateway-api` (core/traffic/gateway-api.ts): its Services and HTTPRoute are its whole state. */
import { gatewayApi } from '../../core/traffic/gateway-api';
import { ObjectRouter, type RouterFactory } from './router';

export const gatewayApiRouter: RouterFactory<'gateway-api'> = (kube, spec, traffic) => new ObjectRouter(kube, spec, traffic, gatewayApi);
