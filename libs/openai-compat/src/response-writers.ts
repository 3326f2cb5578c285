import type { Response as ExpressResponse } from 'express';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { ResponseStep } from './response-events';
import { sendOpenAIError, type SseStream } from './sse-stream';

type EndStep = Extract<ResponseStep, { type: 'end' }>;

/** Writes a response's steps (see ResponseFold) to its HTTP client. */
export interface ResponseWriter {
  progress(events: ResponseStreamEvent[]): void;
  end(step: EndStep): void;
}

/** `stream: true`: every event as an SSE frame named by its type; the stream closes after the end (no [DONE]). */
export class StreamedResponseWriter implements ResponseWriter {
  constructor(private readonly sse: SseStream) {}

  progress(events: ResponseStreamEvent[]): void {
    for (const event of events) this.sse.send(event, event.type);
  }

  end(step: EndStep): void {
    this.progress(step.events);
    this.sse.end();
  }
}

/** Without streaming: nothing until the end, then the response object, or OpenAI's error envelope. */
export class JsonResponseWriter implements ResponseWriter {
  constructor(private readonly res: ExpressResponse) {}

  progress(): void {
    // The client reads the whole response at once.
  }

  end(step: EndStep): void {
    if (step.error) sendOpenAIError(this.res, step.error);
    else this.res.status(200).json(step.response);
  }
}
