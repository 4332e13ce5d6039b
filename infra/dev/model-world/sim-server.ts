/**
 * A simulated OpenAI-compatible model server with vLLM's metrics: it needs no GPU, behaves as its
 * pod's env says (latency, token rate, errors, GPU memory, concurrency, faults after N seconds),
 * and answers deterministically at temperature 0. Like vLLM, /health answers while the model
 * loads; /v1/models and inference answer only once it has loaded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDelayOf, performanceAt, type Behaviour } from './behaviour';
import { createSimMetrics, type SimMetrics } from './sim-metrics';
import { generator, logNormal, nextToken, promptTokens } from './text';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Entries the response cache keeps (least recently used go first). */
const CACHE_ENTRIES = 1024;

interface CompletionRequest {
  kind: 'chat' | 'text';
  model?: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  stream: boolean;
}

export class SimServer {
  readonly metrics: SimMetrics;
  private server?: Server;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly startedAt: number;
  private readonly cache = new Map<string, string[]>();

  constructor(
    readonly behaviour: Behaviour,
    /** When the container started: loading and faults count from here. */
    startedAt = Date.now(),
  ) {
    this.startedAt = startedAt;
    this.metrics = createSimMetrics(behaviour.modelName);
    this.updateGauges();
  }

  get loaded(): boolean {
    return Date.now() - this.startedAt >= loadDelayOf(this.behaviour);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    return this.port;
  }

  /** Stops accepting connections; requests in flight get `graceMs` to finish before they are cut. */
  async close(graceMs = 0): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server!.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private perf() {
    return performanceAt(this.behaviour, Date.now() - this.startedAt);
  }

  private updateGauges(): void {
    const m = this.metrics;
    m.running.set(this.running);
    m.waiting.set(this.queue.length);
    m.kvCache.set(Math.min(1, this.running / this.behaviour.maxConcurrency) * 0.9);
    const used = Math.min(1, this.perf().gpuMemoryUtilization) * this.behaviour.gpuMemoryMiB;
    m.fbUsed.set({ gpu: '0' }, Math.round(used));
    m.fbFree.set({ gpu: '0' }, Math.round(this.behaviour.gpuMemoryMiB - used));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const done = (status: number, body: unknown, handler = path) => {
      this.metrics.http.inc({ method: req.method ?? 'GET', status: `${String(status)[0]}xx`, handler });
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === 'GET' && path === '/health') return done(200, {});
      if (req.method === 'GET' && path === '/metrics') {
        this.updateGauges();
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
        return void res.end(await this.metrics.registry.metrics());
      }
      if (!this.loaded) return done(503, { error: { message: 'model is loading', type: 'ServiceUnavailable' } });
      if (req.method === 'GET' && path === '/v1/models') {
        return done(200, {
          object: 'list',
          data: [{ id: this.behaviour.modelName, object: 'model', owned_by: 'vllm', created: Math.floor(this.startedAt / 1000) }],
        });
      }
      if (req.method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions')) {
        const parsed = parseRequest(path, await readJson(req));
        if ('error' in parsed) return done(400, { error: { message: parsed.error, type: 'BadRequestError' } });
        if (parsed.model && parsed.model !== this.behaviour.modelName) {
          return done(404, { error: { message: `The model \`${parsed.model}\` does not exist.`, type: 'NotFoundError' } });
        }
        return await this.complete(parsed, req, res, path);
      }
      return done(404, { error: { message: `no route ${req.method} ${path}`, type: 'NotFoundError' } });
    } catch (err) {
      done(500, { error: { message: (err as Error).message, type: 'InternalServerError' } });
    }
  }

  private async admit(): Promise<number> {
    const queuedAt = Date.now();
    if (this.running >= this.behaviour.maxConcurrency) {
      await new Promise<void>((resolve) => {
        this.queue.push(resolve);
        this.updateGauges();
      });
    }
    this.running++;
    this.updateGauges();
    return (Date.now() - queuedAt) / 1000;
  }

  private release(): void {
    this.running--;
    this.queue.shift()?.();
    this.updateGauges();
  }

  private async complete(r: CompletionRequest, req: IncomingMessage, res: ServerResponse, handler: string): Promise<void> {
    const m = this.metrics;
    const arrived = Date.now();
    const queueSeconds = await this.admit();
    let aborted = false;
    res.on('close', () => {
      if (!res.writableFinished) aborted = true;
    }); // the client went away: stop generating
    try {
      const perf = this.perf();
      m.queueTime.observe(queueSeconds);
      if (Math.random() < perf.errorRate) {
        await sleep(logNormal(perf.ttftMs, perf.ttftSigma) / 4);
        m.http.inc({ method: 'POST', status: '5xx', handler });
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'simulated engine failure', type: 'InternalServerError' } }));
      }
      const id = `${r.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${Math.random().toString(36).slice(2, 12)}`;
      const created = Math.floor(arrived / 1000);
      const rand = generator(r.prompt, this.behaviour.answerSalt, r.temperature);
      const prompt = promptTokens(r.prompt);
      const tokens: string[] = [];
      const chunk = (text: string, finish: string | null) =>
        r.kind === 'chat'
          ? {
              id,
              object: 'chat.completion.chunk',
              created,
              model: this.behaviour.modelName,
              choices: [
                { index: 0, delta: tokens.length === 1 ? { role: 'assistant', content: text } : { content: text }, finish_reason: finish },
              ],
            }
          : {
              id,
              object: 'text_completion',
              created,
              model: this.behaviour.modelName,
              choices: [{ index: 0, text, finish_reason: finish }],
            };
      if (r.stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });

      // Only deterministic (temperature 0) answers may be reused.
      const cacheKey = this.behaviour.responseCache && r.temperature === 0 ? JSON.stringify([r.kind, r.prompt, r.maxTokens]) : undefined;
      const cached = cacheKey !== undefined ? this.cache.get(cacheKey) : undefined;
      if (cacheKey !== undefined) {
        m.cacheQueries.inc();
        if (cached) {
          m.cacheHits.inc();
          this.cache.delete(cacheKey); // most recently used last
          this.cache.set(cacheKey, cached);
        }
      }
      if (!cached) await sleep(logNormal(perf.ttftMs, perf.ttftSigma));
      const firstAt = Date.now();
      m.ttft.observe((firstAt - arrived) / 1000);
      let last = firstAt;
      for (let i = 0; i < r.maxTokens && !aborted; i++) {
        if (i > 0 && !cached) {
          await sleep(logNormal(1000 / perf.tokensPerSecond, perf.itlSigma));
          const now = Date.now();
          m.itl.observe((now - last) / 1000);
          last = now;
        }
        const token = cached ? cached[i]! : nextToken(rand, i);
        tokens.push(token);
        if (r.stream) res.write(`data: ${JSON.stringify(chunk(token, i === r.maxTokens - 1 ? 'length' : null))}\n\n`);
      }
      const end = Date.now();
      if (cacheKey !== undefined && !cached && !aborted) {
        this.cache.set(cacheKey, tokens);
        if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      }
      const usage = { prompt_tokens: prompt, completion_tokens: tokens.length, total_tokens: prompt + tokens.length };
      m.promptTokens.inc(prompt);
      m.generationTokens.inc(tokens.length);
      m.e2e.observe((end - arrived) / 1000);
      if (tokens.length > 1) m.tpot.observe((end - firstAt) / 1000 / (tokens.length - 1));
      m.success.inc({ finished_reason: 'length' });
      m.http.inc({ method: 'POST', status: '2xx', handler });
      if (r.stream) {
        res.end('data: [DONE]\n\n');
      } else {
        const text = tokens.join('');
        const choice =
          r.kind === 'chat'
            ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }
            : { index: 0, text, finish_reason: 'length' };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id,
            object: r.kind === 'chat' ? 'chat.completion' : 'text_completion',
            created,
            model: this.behaviour.modelName,
            choices: [choice],
            usage,
          }),
        );
      }
    } finally {
      this.release();
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 1 << 20) throw new Error('request body over 1 MiB');
  }
  try {
    return JSON.parse(body || '{}');
  } catch {
    return undefined;
  }
}

function parseRequest(path: string, body: unknown): CompletionRequest | { error: string } {
  if (!body || typeof body !== 'object') return { error: 'body must be a JSON object' };
  const b = body as Record<string, unknown>;
  const maxTokens = b.max_tokens ?? b.max_completion_tokens ?? 64;
  const temperature = b.temperature ?? 1;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
    return { error: 'max_tokens must be a positive integer' };
  if (typeof temperature !== 'number' || temperature < 0) return { error: 'temperature must be a number ≥ 0' };
  const common = { model: typeof b.model === 'string' ? b.model : undefined, maxTokens, temperature, stream: b.stream === true };
  if (path === '/v1/chat/completions') {
    if (!Array.isArray(b.messages) || b.messages.length === 0) return { error: 'messages must be a non-empty array' };
    const prompt = b.messages
      .map((msg) => `${(msg as { role?: string }).role}: ${String((msg as { content?: unknown }).content ?? '')}`)
      .join('\n');
    return { kind: 'chat', prompt, ...common };
  }
  const prompt = Array.isArray(b.prompt) ? b.prompt.join('') : b.prompt;
  if (typeof prompt !== 'string') return { error: 'prompt must be a string' };
  return { kind: 'text', prompt, ...common };
}
