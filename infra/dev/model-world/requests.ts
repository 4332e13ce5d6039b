/** The OpenAI-compatible request bodies the simulated server takes, checked as vLLM's server checks them. */
import type { IncomingMessage } from 'node:http';

export interface CompletionRequest {
  kind: 'chat' | 'text';
  model?: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  stream: boolean;
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
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

export function parseRequest(path: string, body: unknown): CompletionRequest | { error: string } {
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
