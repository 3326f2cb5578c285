import http from 'node:http';

export interface SseFrame {
  id?: string;
  event: string;
  data: any;
}

export interface SseResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: SseFrame[];
  comments: string[];
}

/**
 * Reads a Server-Sent Events response like a client would. Stops when the server ends the
 * response, or after `stopAfter` frames (dropping the connection, as a reloading page does).
 * `onFrame` sees each frame as it arrives.
 */
export function readSse(
  url: string,
  headers: Record<string, string>,
  options: { stopAfter?: number; timeoutMs?: number; onFrame?: (frame: SseFrame) => void } = {},
): Promise<SseResult> {
  return new Promise((resolve, reject) => {
    const frames: SseFrame[] = [];
    const comments: string[] = [];
    const req = http.get(url, { headers }, (res) => {
      let buffer = '';
      const result = () => ({ status: res.statusCode ?? 0, headers: res.headers, frames, comments });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`SSE read timed out after ${frames.length} frames`));
      }, options.timeoutMs ?? 15_000);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Partial<SseFrame> = { event: 'message' };
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) {
            const parsed: SseFrame = { ...(frame as SseFrame), data: JSON.parse(data) };
            frames.push(parsed);
            options.onFrame?.(parsed);
            if (options.stopAfter !== undefined && frames.length >= options.stopAfter) {
              clearTimeout(timer);
              req.destroy();
              resolve(result());
              return;
            }
          }
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(result());
      });
    });
    req.on('error', (err) =>
      options.stopAfter !== undefined && frames.length >= options.stopAfter ? undefined : reject(err),
    );
  });
}
