import type { Response } from 'express';
import { SSE_HEADERS, SSE_PING } from '@agents/chat';
import type { OpenAIError } from './openai-error';

/**
 * One Server-Sent Events response in OpenAI's framing (`data: <json>\n\n`, optionally with an
 * `event:` line). Headers go out with the first frame, so an error found before it can still be a
 * plain non-2xx answer; comment pings keep proxies from closing a quiet stream.
 */
export class SseStream {
  private heartbeat?: NodeJS.Timeout;
  private started = false;
  private ended = false;

  constructor(
    private readonly res: Response,
    private readonly heartbeatMs: number,
  ) {}

  get opened(): boolean {
    return this.started;
  }

  get closed(): boolean {
    return this.ended || this.res.destroyed;
  }

  open(): void {
    if (this.started) return;
    this.started = true;
    this.res.status(200);
    for (const [name, value] of Object.entries(SSE_HEADERS)) this.res.setHeader(name, value);
    this.res.flushHeaders();
    this.heartbeat = setInterval(() => this.res.write(SSE_PING), this.heartbeatMs);
    this.heartbeat.unref();
  }

  send(payload: unknown, event?: string): void {
    if (this.closed) return;
    this.open();
    this.res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(payload)}\n\n`);
  }

  /** Ends the stream, after `data: [DONE]` when asked (chat completions end so; the Responses API does not). */
  end(withDone = false): void {
    if (this.closed) return;
    if (withDone) this.res.write('data: [DONE]\n\n');
    this.stop();
    this.res.end();
  }

  /** Releases the heartbeat (the client went away). */
  stop(): void {
    this.ended = true;
    clearInterval(this.heartbeat);
  }
}

/** Answers with OpenAI's error envelope, before any byte of a stream was sent. */
export function sendOpenAIError(res: Response, error: OpenAIError): void {
  if (res.headersSent || res.destroyed) return;
  res.set(error.retryHeaders());
  res.status(error.status).json(error.toBody());
}
