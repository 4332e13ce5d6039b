/**
 * A simulated OpenAI-compatible model server with vLLM's metrics: it needs no GPU, is configured
 * by its `vllm serve` command line (serving-config.ts), behaves as its pod's SIM_* env says
 * (latency, token rate, errors, GPU memory, concurrency, faults after N seconds), and answers
 * deterministically at temperature 0. Like vLLM's API server, which binds its port before the
 * engine loads and serves HTTP only once it has, it refuses connections until the model is
 * loaded (so a startup probe fails during the load, and past its budget the kubelet restarts it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VLLM } from '../../../core/server/vllm-contract';
import { loadDelayOf, performanceAt, quantizationClass, type Behaviour, type QuantizationClass } from './behaviour';
import { PrefixCache, tokensOf } from './prefix-cache';
import { parseRequest, readJson, type CompletionRequest } from './requests';
import type { ServingConfig } from './serving-config';
import { createSimMetrics, type SimMetrics } from './sim-metrics';
import { generator, logNormal, nextToken } from './text';
import type { LoadedWeights } from './weights-loader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Share of a prompt's prefill a fully cached prefix still costs (the rest is skipped). */
const CACHED_PREFILL_COST = 0.1;
/** vLLM's HTTP metrics leave these handlers out. */
const UNCOUNTED = new Set(VLLM.httpExcludedHandlers);

export class SimServer {
  readonly metrics: SimMetrics;
  private server?: Server;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly startedAt: number;
  private readonly prefixes = new PrefixCache();
  private readonly weights: QuantizationClass;
  /** What it read of an object-store model, once read; the load's failure, if it failed. */
  private loadedWeights?: LoadedWeights;
  private loadFailure?: Error;
  private readonly loadAbort = new AbortController();
  private readonly loadsWeights: boolean;

  constructor(
    readonly behaviour: Behaviour,
    readonly serving: ServingConfig,
    /** When the container started: loading and faults count from here. */
    startedAt = Date.now(),
    /** Reads the model's weights (an object-store model); its digest then seeds every answer. */
    loadWeights?: (signal: AbortSignal) => Promise<LoadedWeights>,
  ) {
    this.startedAt = startedAt;
    this.weights = quantizationClass(serving.quantization);
    this.metrics = createSimMetrics(this.modelName);
    this.updateGauges();
    this.loadsWeights = loadWeights !== undefined;
    loadWeights?.(this.loadAbort.signal).then(
      (w) => (this.loadedWeights = w),
      (err: Error) => (this.loadFailure = err),
    );
  }

  /** The digest of the weights it loaded (undefined: not an object-store model, or not loaded yet). */
  get weightsLoaded(): LoadedWeights | undefined {
    return this.loadedWeights;
  }

  /** Seeds the deterministic answers: the configured salt and, when it read weights, their digest. */
  private get answerSalt(): string {
    const w = this.loadedWeights;
    return w ? `${this.behaviour.answerSalt}\u0000weights:${w.digest}` : this.behaviour.answerSalt;
  }

  /** The name vLLM reports the model by (the first served name). */
  get modelName(): string {
    return this.serving.servedNames[0]!;
  }

  get loaded(): boolean {
    const weightsRead = !this.loadsWeights || this.loadedWeights !== undefined;
    return weightsRead && Date.now() - this.startedAt >= loadDelayOf(this.behaviour, this.weights);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  /**
   * Listens on the command line's --port unless told otherwise (0: any free port), once the model
   * has loaded; resolves then (undefined if closed before). Until then connections are refused.
   * Rejects with the load's error (a ServeError: the process would exit) when loading failed.
   */
  async listen(port = this.serving.port, host = '127.0.0.1'): Promise<number | undefined> {
    while (!this.loaded && !this.closed) {
      if (this.loadFailure) throw this.loadFailure;
      await sleep(Math.max(20, Math.min(100, loadDelayOf(this.behaviour, this.weights))));
    }
    if (this.closed) return undefined;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    return this.port;
  }

  private closed = false;

  /** Stops accepting connections; requests in flight get `graceMs` to finish before they are cut. */
  async close(graceMs = 0): Promise<void> {
    this.closed = true;
    this.loadAbort.abort();
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server!.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private perf() {
    return performanceAt(this.behaviour, Date.now() - this.startedAt, this.weights);
  }

  /** Share of each of its GPUs' frame buffer the server holds (what dcgm-exporter reports for its pod). */
  gpuMemoryShare(): number {
    return Math.min(1, this.perf().gpuMemoryUtilization);
  }

  /** GPU utilisation in percent: how full its batch is. */
  gpuUtilization(): number {
    return (100 * Math.min(this.running, this.behaviour.maxConcurrency)) / this.behaviour.maxConcurrency;
  }

  private updateGauges(): void {
    const m = this.metrics;
    m.running.set(this.running);
    m.waiting.set(this.queue.length);
    m.kvCache.set(Math.min(1, this.running / this.behaviour.maxConcurrency) * 0.9);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const started = Date.now();
    const done = (status: number, body: unknown, handler = path) => {
      this.countHttp(req.method ?? 'GET', status, handler, started);
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === 'GET' && path === '/health') return done(200, {});
      if (req.method === 'GET' && path === '/metrics') {
        this.updateGauges();
        res.writeHead(200, { 'content-type': this.metrics.contentType });
        return void res.end(await this.metrics.text());
      }
      if (req.method === 'GET' && path === '/v1/models') {
        return done(200, {
          object: 'list',
          data: this.serving.servedNames.map((id) => ({
            id,
            object: 'model',
            owned_by: 'vllm',
            root: this.serving.model,
            max_model_len: this.serving.maxModelLen,
            created: Math.floor(this.startedAt / 1000),
          })),
        });
      }
      if (req.method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions')) {
        const parsed = parseRequest(path, await readJson(req));
        if ('error' in parsed) return done(400, { error: { message: parsed.error, type: 'BadRequestError' } });
        if (parsed.model && !this.serving.servedNames.includes(parsed.model)) {
          return done(404, { error: { message: `The model \`${parsed.model}\` does not exist.`, type: 'NotFoundError' } });
        }
        const tokens = tokensOf(parsed.prompt);
        const max = this.serving.maxModelLen;
        if (max !== undefined && tokens.length + parsed.maxTokens > max) {
          const message = `This model's maximum context length is ${max} tokens. However, you requested ${tokens.length + parsed.maxTokens} tokens (${tokens.length} in the messages, ${parsed.maxTokens} in the completion).`;
          return done(400, { error: { message, type: 'BadRequestError' } });
        }
        return await this.complete(parsed, req, res, path);
      }
      return done(404, { error: { message: `no route ${req.method} ${path}`, type: 'NotFoundError' } });
    } catch (err) {
      done(500, { error: { message: (err as Error).message, type: 'InternalServerError' } });
    }
  }

  /** As vLLM's HTTP instrumentation counts: status grouped (2xx, 5xx), its own handlers left out. */
  private countHttp(method: string, status: number, handler: string, started: number): void {
    if (UNCOUNTED.has(handler)) return;
    this.metrics.http.inc({ method, status: `${String(status)[0]}xx`, handler });
    this.metrics.httpDuration.observe({ method, handler }, (Date.now() - started) / 1000);
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
        m.success.inc({ finished_reason: 'error' });
        this.countHttp('POST', 500, handler, arrived);
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'simulated engine failure', type: 'InternalServerError' } }));
      }
      const id = `${r.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${Math.random().toString(36).slice(2, 12)}`;
      const created = Math.floor(arrived / 1000);
      const rand = generator(r.prompt, this.answerSalt, r.temperature);
      const promptText = tokensOf(r.prompt);
      const prompt = promptText.length;
      const tokens: string[] = [];
      const chunk = (text: string, finish: string | null) =>
        r.kind === 'chat'
          ? {
              id,
              object: 'chat.completion.chunk',
              created,
              model: r.model ?? this.modelName,
              choices: [
                { index: 0, delta: tokens.length === 1 ? { role: 'assistant', content: text } : { content: text }, finish_reason: finish },
              ],
            }
          : {
              id,
              object: 'text_completion',
              created,
              model: r.model ?? this.modelName,
              choices: [{ index: 0, text, finish_reason: finish }],
            };
      if (r.stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });

      // With prefix caching, the cached part of the prompt skips its prefill.
      const cached = this.serving.prefixCaching ? this.prefixes.lookup(promptText) : { queried: prompt, hit: 0 };
      if (this.serving.prefixCaching) {
        m.prefixQueries.inc(cached.queried);
        m.prefixHits.inc(cached.hit);
      }
      const prefill = 1 - (1 - CACHED_PREFILL_COST) * (cached.hit / Math.max(1, cached.queried));
      await sleep(logNormal(perf.ttftMs, perf.ttftSigma) * prefill);
      const firstAt = Date.now();
      m.ttft.observe((firstAt - arrived) / 1000);
      let last = firstAt;
      for (let i = 0; i < r.maxTokens && !aborted; i++) {
        if (i > 0) {
          await sleep(logNormal(1000 / perf.tokensPerSecond, perf.itlSigma));
          const now = Date.now();
          m.itl.observe((now - last) / 1000);
          last = now;
        }
        const token = nextToken(rand, i);
        tokens.push(token);
        if (r.stream) res.write(`data: ${JSON.stringify(chunk(token, i === r.maxTokens - 1 ? 'length' : null))}\n\n`);
      }
      const end = Date.now();
      const usage = { prompt_tokens: prompt, completion_tokens: tokens.length, total_tokens: prompt + tokens.length };
      m.promptTokens.inc(prompt);
      m.generationTokens.inc(tokens.length);
      m.e2e.observe((end - arrived) / 1000);
      if (tokens.length > 1) m.tpot.observe((end - firstAt) / 1000 / (tokens.length - 1));
      m.success.inc({ finished_reason: aborted ? 'abort' : 'length' });
      this.countHttp('POST', 200, handler, arrived);
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
            model: r.model ?? this.modelName,
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
