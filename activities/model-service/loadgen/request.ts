/** One streamed chat completion, timed chunk by chunk (SSE, as vLLM's OpenAI server sends it). */
import { performance } from 'node:perf_hooks';
import type { RequestTiming } from '../../../core/loadgen/metrics';
import { postJson, readAll, type ServiceEndpoint } from '../endpoint';

export class RequestError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

interface StreamChunk {
  choices?: { delta?: { content?: string }; text?: string }[];
  usage?: { completion_tokens?: number };
}

/**
 * Sends at once and measures from `intendedAt` (performance.now() time the schedule meant to
 * send): the client's own lateness counts as latency.
 */
export async function streamCompletion(
  ep: ServiceEndpoint,
  model: string,
  prompt: string,
  maxTokens: number,
  intendedAt: number,
  timeoutMs: number,
  signal?: AbortSignal,
  temperature?: number,
): Promise<RequestTiming> {
  const body = {
    model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    ...(temperature !== undefined ? { temperature } : {}),
  };
  let res;
  try {
    res = await postJson(ep, '/v1/chat/completions', body, timeoutMs, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RequestError(code === 'ETIMEDOUT' ? 'timeout' : code === 'ABORT_ERR' ? 'aborted' : 'connection', (err as Error).message);
  }
  const status = res.statusCode ?? 0;
  if (status >= 300) {
    const text = await readAll(res).catch(() => '');
    // Refused credentials and rate limits by their own status: each says what to fix.
    const kind = [401, 403, 429].includes(status) ? `http-${status}` : status >= 500 ? 'http-5xx' : 'http-4xx';
    throw new RequestError(kind, `HTTP ${status} ${text.slice(0, 200)}`);
  }
  const chunkTimes: number[] = [];
  let usageTokens: number | undefined;
  let done = false;
  let buffer = '';
  try {
    for await (const piece of res) {
      const now = performance.now() - intendedAt;
      buffer += (piece as Buffer).toString('utf8');
      let sep: number;
      while ((sep = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') {
            done = true;
            continue;
          }
          const chunk = JSON.parse(data) as StreamChunk;
          if (chunk.usage?.completion_tokens !== undefined) usageTokens = chunk.usage.completion_tokens;
          const c = chunk.choices?.[0];
          if ((c?.delta?.content ?? c?.text ?? '') !== '') chunkTimes.push(now);
        }
      }
    }
  } catch (err) {
    throw new RequestError(signal?.aborted ? 'aborted' : 'stream', `stream broke: ${(err as Error).message}`);
  }
  if (!done) throw new RequestError('stream', 'stream ended without [DONE]');
  return { chunkTimes, endMs: chunkTimes.at(-1) ?? performance.now() - intendedAt, outputTokens: usageTokens ?? chunkTimes.length };
}
