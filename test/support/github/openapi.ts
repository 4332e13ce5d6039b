/**
 * GitHub's published OpenAPI description (@octokit/openapi, api.github.com) as a validator: finds
 * the operation of a method and path, and checks request bodies, query parameters and response
 * bodies against it with Ajv. The emulator runs every exchange through it, so a test fails when
 * the product sends, or would be answered, anything GitHub would not.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
}

const loadDoc = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a 13 MB JSON document, loaded once on first use
  require('@octokit/openapi/generated/api.github.com.json') as { paths: Record<string, Record<string, Operation>>; components: Json };

/**
 * OpenAPI 3.0's `nullable` as JSON Schema, where Ajv reads it differently: next to an `enum` it
 * allows null (the 3.0.3 clarification; GitHub sends a running check run's `conclusion: null`),
 * and without a `type` (next to allOf/anyOf/oneOf, which Ajv refuses to compile) it becomes
 * `anyOf: [the schema, null]`.
 */
function normaliseNullable(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(normaliseNullable);
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown> & { nullable?: boolean; enum?: unknown[] };
  for (const v of Object.values(o)) normaliseNullable(v);
  if (o.nullable === true && Array.isArray(o.enum) && !o.enum.includes(null)) o.enum.push(null);
  if (o.nullable !== undefined && o.type === undefined) {
    const { nullable, ...rest } = o;
    for (const k of Object.keys(o)) delete o[k];
    Object.assign(o, nullable ? { anyOf: [rest, { type: 'null' }] } : rest);
  }
}

export class GitHubContractError extends Error {
  override name = 'GitHubContractError';
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class GitHubOpenApi {
  private readonly doc = loadDoc();
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; re: RegExp; names: string[] }[] = [];

  constructor() {
    normaliseNullable(this.doc);
    addFormats(this.ajv);
    // GitHub answers "" for URI fields that were never set (a deployment status without log_url).
    const uri = fullFormats.uri as (s: string) => boolean;
    this.ajv.addFormat('uri', (s: string) => s === '' || uri(s));
    this.ajv.addSchema(this.doc as unknown as Json, 'gh');
    for (const [template, ops] of Object.entries(this.doc.paths)) {
      const names: string[] = [];
      const re = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{([^}]+)\}/g, (_, n: string) => (names.push(n), '([^/]+)'))}$`);
      for (const method of Object.keys(ops)) this.routes.push({ method: method.toUpperCase(), template, re, names });
    }
  }

  /** The operation a request is for; literal paths win over templated ones, as GitHub routes them. */
  find(method: string, path: string): { template: string; operationId: string; params: Record<string, string> } {
    const candidates = this.routes.filter((r) => r.method === method && r.re.test(path));
    candidates.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    const route = candidates[0];
    if (!route) throw new GitHubContractError(`${method} ${path}: no such operation in GitHub's REST API`);
    const m = route.re.exec(path)!;
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    return { template: route.template, operationId: this.op(method, route.template).operationId, params };
  }

  private op(method: string, template: string): Operation {
    return this.doc.paths[template]![method.toLowerCase()]!;
  }

  private deref<T>(o: T): T {
    const ref = (o as { $ref?: string }).$ref;
    if (!ref) return o;
    return ref
      .slice(2)
      .split('/')
      .reduce<unknown>((v, k) => (v as Json)[k.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc) as T;
  }

  private check(key: string, schema: string | Json, value: unknown, what: string): void {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(typeof schema === 'string' ? { $ref: schema } : schema);
      this.compiled.set(key, validate);
    }
    if (!validate(value)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
        .join('; ');
      throw new GitHubContractError(`${what}: ${errors}`);
    }
  }

  validateRequest(method: string, path: string, query: URLSearchParams, body: unknown): void {
    const { template } = this.find(method, path);
    const op = this.op(method, template);
    const parameters = (op.parameters ?? []).map((x) => this.deref(x)) as { name: string; in: string; required?: boolean; schema?: Json }[];
    for (const p of parameters) {
      if (p.in !== 'query') continue;
      const raw = query.get(p.name);
      if (raw === null) continue;
      const type = (p.schema as { type?: string } | undefined)?.type;
      const value = type === 'integer' || type === 'number' ? Number(raw) : type === 'boolean' ? raw === 'true' : raw;
      const schema = p.schema ?? {};
      const ref = (schema as { $ref?: string }).$ref;
      this.check(`${method} ${template} ?${p.name}`, ref ? `gh${ref}` : schema, value, `${method} ${path} query ${p.name}`);
    }
    for (const name of query.keys()) {
      if (!parameters.some((p) => p.name === name)) {
        throw new GitHubContractError(`${method} ${path}: GitHub takes no query parameter "${name}"`);
      }
    }
    const content = op.requestBody ? (this.deref(op.requestBody).content as Record<string, unknown> | undefined) : undefined;
    if (!content?.['application/json']) {
      if (body !== undefined && method !== 'GET') throw new GitHubContractError(`${method} ${path}: GitHub takes no JSON body here`);
      return;
    }
    if (body === undefined && (this.deref(op.requestBody!) as { required?: boolean }).required)
      throw new GitHubContractError(`${method} ${path}: a JSON body is required`);
    if (body !== undefined) {
      this.check(
        `${method} ${template} body`,
        `gh#/${pointer('paths', template, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema')}`,
        body,
        `${method} ${path} request body`,
      );
    }
  }

  /** A webhook payload GitHub would send: `name` is the x-webhooks key, e.g. `release-published`. */
  validateWebhook(name: string, payload: unknown): void {
    const hooks = (
      this.doc as unknown as {
        'x-webhooks': Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
      }
    )['x-webhooks'];
    const ref = hooks[name]?.post.requestBody.content['application/json']?.schema.$ref;
    if (!ref) throw new GitHubContractError(`GitHub sends no webhook "${name}"`);
    this.check(`webhook ${name}`, `gh${ref}`, payload, `webhook ${name} payload`);
  }

  validateResponse(method: string, path: string, status: number, body: unknown): void {
    const { template } = this.find(method, path);
    const op = this.op(method, template);
    const declared = op.responses[String(status)];
    if (!declared)
      throw new GitHubContractError(
        `${method} ${path}: GitHub never answers ${status} here (it answers ${Object.keys(op.responses).join(', ')})`,
      );
    const content = this.deref(declared).content as Record<string, unknown> | undefined;
    if (!content?.['application/json']) return;
    const base = (declared as { $ref?: string }).$ref
      ? `gh#/${(declared as { $ref: string }).$ref.slice(2)}`
      : `gh#/${pointer('paths', template, method.toLowerCase(), 'responses', String(status))}`;
    this.check(
      `${method} ${template} ${status}`,
      `${base}/${pointer('content', 'application/json', 'schema')}`,
      body,
      `${method} ${path} response ${status}`,
    );
  }
}
