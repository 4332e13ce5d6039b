/**
 * The part of Envoy Gateway's policies the local router honours, for the routes they target:
 * SecurityPolicy `jwt` (bearer token verified against the provider's JWKS with `jose`: signature,
 * issuer, audiences, expiry; claims copied to headers) and BackendTrafficPolicy `rateLimit.local`
 * (token buckets per rule; header selectors Exact and Distinct) and `loadBalancer.type`.
 * Like Envoy: 401 without a valid token, 429 over a limit. Local stack only.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { IncomingHttpHeaders } from 'node:http';

interface TargetRef {
  group?: string;
  kind: string;
  name: string;
}
interface HeaderSelector {
  name: string;
  type?: 'Exact' | 'RegularExpression' | 'Distinct';
  value?: string;
  invert?: boolean;
}
interface RateLimitRule {
  clientSelectors?: { headers?: HeaderSelector[]; sourceCIDR?: unknown; methods?: unknown; path?: unknown }[];
  limit: { requests: number; unit: 'Second' | 'Minute' | 'Hour' | 'Day' | 'Month' | 'Year' };
}
export interface PolicyObject {
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: {
    targetRefs?: TargetRef[];
    jwt?: {
      providers: {
        name: string;
        issuer?: string;
        audiences?: string[];
        remoteJWKS: { uri: string };
        claimToHeaders?: { claim: string; header: string }[];
      }[];
    };
    rateLimit?: { type?: 'Local' | 'Global'; local?: { rules?: RateLimitRule[] } };
    loadBalancer?: { type: 'LeastRequest' | 'RoundRobin' | 'Random' | 'ConsistentHash' | 'BackendUtilization' };
  };
}

export type Admission =
  | { ok: true; headers: Record<string, string>; authenticated?: boolean }
  | { ok: false; status: number; body: string; headers: Record<string, string> };
export type Balancing = 'LeastRequest' | 'RoundRobin' | 'Random';

const UNIT_MS = { Second: 1000, Minute: 60_000, Hour: 3_600_000, Day: 86_400_000, Month: 30 * 86_400_000, Year: 365 * 86_400_000 } as const;

/** A bucket refilled continuously: `requests` per unit, bursting up to `requests`. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();
  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
  ) {
    this.tokens = capacity;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const targets = (p: PolicyObject, namespace: string, route: string) =>
  p.metadata?.namespace === namespace && (p.spec?.targetRefs ?? []).some((t) => t.kind === 'HTTPRoute' && t.name === route);

const header = (headers: IncomingHttpHeaders, name: string) => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export class GatewayPolicies {
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly security: Map<string, PolicyObject>,
    private readonly traffic: Map<string, PolicyObject>,
  ) {}

  /** Authentication first (as Envoy's filter chain runs it), then the rate limits. */
  async admit(namespace: string, route: string, headers: IncomingHttpHeaders): Promise<Admission> {
    const added: Record<string, string> = {};
    let authenticated = false;
    for (const policy of [...this.security.values()].filter((p) => targets(p, namespace, route) && p.spec?.jwt)) {
      const verdict = await this.verifyJwt(policy, headers);
      if (!verdict.ok) return verdict;
      Object.assign(added, verdict.headers);
      authenticated = true;
    }
    for (const policy of [...this.traffic.values()].filter((p) => targets(p, namespace, route))) {
      for (const [i, rule] of (policy.spec?.rateLimit?.local?.rules ?? []).entries()) {
        const key = this.bucketKey(policy, i, rule, headers);
        if (key === undefined) continue; // the rule's selectors do not match this request
        let bucket = this.buckets.get(key);
        if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(rule.limit.requests, rule.limit.requests / UNIT_MS[rule.limit.unit])));
        if (!bucket.take())
          return { ok: false, status: 429, body: 'local_rate_limited', headers: { 'x-ratelimit-limit': String(rule.limit.requests) } };
      }
    }
    return { ok: true, headers: added, authenticated };
  }

  balancing(namespace: string, route: string): Balancing {
    const type = [...this.traffic.values()].find((p) => targets(p, namespace, route) && p.spec?.loadBalancer)?.spec?.loadBalancer?.type;
    return type === 'RoundRobin' || type === 'Random' ? type : 'LeastRequest';
  }

  private async verifyJwt(policy: PolicyObject, headers: IncomingHttpHeaders): Promise<Admission> {
    const denied = (why: string): Admission => ({
      ok: false,
      status: 401,
      body: why,
      headers: { 'www-authenticate': `Bearer realm="http://${header(headers, 'host') ?? ''}", error="invalid_token"` },
    });
    const auth = header(headers, 'authorization');
    const token = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) return denied('Jwt is missing');
    const failures: string[] = [];
    for (const provider of policy.spec!.jwt!.providers) {
      let jwks = this.jwks.get(provider.remoteJWKS.uri);
      if (!jwks) this.jwks.set(provider.remoteJWKS.uri, (jwks = createRemoteJWKSet(new URL(provider.remoteJWKS.uri))));
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          ...(provider.issuer ? { issuer: provider.issuer } : {}),
          ...(provider.audiences?.length ? { audience: provider.audiences } : {}),
        }));
      } catch (err) {
        failures.push(`${provider.name}: ${(err as Error).message}`);
        continue;
      }
      const out: Record<string, string> = {};
      for (const { claim, header: name } of provider.claimToHeaders ?? [])
        if (payload[claim] !== undefined) out[name] = String(payload[claim]);
      return { ok: true, headers: out };
    }
    return denied(`Jwt verification fails (${failures.join('; ')})`);
  }

  private bucketKey(policy: PolicyObject, index: number, rule: RateLimitRule, headers: IncomingHttpHeaders): string | undefined {
    const base = `${policy.metadata?.namespace}/${policy.metadata?.name}@${policy.metadata?.generation ?? 0}#${index}`;
    if (!rule.clientSelectors?.length) return base;
    for (const selector of rule.clientSelectors) {
      if (selector.sourceCIDR || selector.methods || selector.path) continue; // not modelled: such a selector never matches here
      const parts: string[] = [];
      const matches = (selector.headers ?? []).every((h) => {
        const v = header(headers, h.name);
        if (h.type === 'Distinct') return v !== undefined && parts.push(`${h.name}=${v}`) > 0;
        const hit = h.type === 'RegularExpression' ? v !== undefined && new RegExp(h.value ?? '').test(v) : v === h.value;
        return h.invert ? !hit : hit;
      });
      if (matches) return `${base}|${parts.join('|')}`;
    }
    return undefined;
  }
}
