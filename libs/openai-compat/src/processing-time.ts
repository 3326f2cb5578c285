import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';

/**
 * Stamps `openai-processing-ms` — how long the request took until its headers left, as OpenAI
 * reports it — on every response under the OpenAI-compatible prefix: answers, errors (the body
 * parser's included, so it is mounted before it) and streams, whose headers leave with the first
 * event. Every path to the headers (`res.json`, `res.end`, `flushHeaders`) goes through
 * `writeHead`, which is wrapped to set the header just before they are written.
 */
export function openAIProcessingTime(_req: Request, res: Response, next: NextFunction): void {
  const started = performance.now();
  res.writeHead = new Proxy(res.writeHead.bind(res), {
    apply(target, thisArg: unknown, args: unknown[]): unknown {
      if (!res.headersSent) res.setHeader('openai-processing-ms', String(Math.round(performance.now() - started)));
      return Reflect.apply(target, thisArg, args);
    },
  });
  next();
}
