import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatProvider, ProviderEvent } from '@agents/providers';
import { readStreamEvent } from '@agents/chat';
import { InMemoryEventBus, type StreamEvent } from '@agents/streaming';
import { GenerationRunner } from './generation-runner';

/** A provider that yields `tokens`, `gapMs` apart (0: as fast as it is read), then stops. */
function pacedProvider(tokens: string[], reasoning: string[], gapMs: number): ChatProvider {
  return {
    name: 'test',
    async *stream(): AsyncIterable<ProviderEvent> {
      for (const text of reasoning) yield { type: 'reasoning', text };
      for (const text of tokens) {
        if (gapMs > 0) await sleep(gapMs);
        yield { type: 'text', text };
      }
      yield { type: 'done', finishReason: 'stop' };
    },
  };
}

/** The in-memory bus, each publish taking `delayMs` (a loaded Redis). */
class SlowBus extends InMemoryEventBus {
  publishes = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  override async publish(streamId: string, payload: unknown, options?: { terminal?: boolean }): Promise<string> {
    this.publishes += 1;
    if (this.delayMs > 0) await sleep(this.delayMs);
    return super.publish(streamId, payload, options);
  }
}

async function logOf(bus: InMemoryEventBus, streamId: string): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  const subscription = await bus.subscribe(streamId, '0', (event) => events.push(event));
  await subscription?.close();
  return events;
}

describe('GenerationRunner: adaptive coalescing of deltas', () => {
  const tokens = Array.from({ length: 40 }, (_, i) => `t${i} `);
  const reasoning = ['think ', 'more '];

  async function run(delayMs: number, gapMs: number) {
    const bus = new SlowBus(delayMs);
    const streamId = `s-${delayMs}`;
    await bus.create(streamId);
    const outcome = await new GenerationRunner(bus).run(
      { streamId, responseMessageId: 'r1', request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } },
      pacedProvider(tokens, reasoning, gapMs),
      new AbortController().signal,
    );
    const read = (await logOf(bus, streamId)).map((e) => readStreamEvent(e.payload));
    await bus.close();
    return { outcome, read };
  }
  const deltas = (read: ReturnType<typeof readStreamEvent>[], kind: string) =>
    read.flatMap((r) => (r?.kind === kind && 'text' in r ? [r.text] : []));

  it('sends every token as its own event when publishing keeps up with the provider', async () => {
    const { outcome, read } = await run(0, 3);
    expect(deltas(read, 'message_delta')).toEqual(tokens);
    expect(deltas(read, 'reasoning_delta')).toEqual(reasoning);
    expect(outcome.text).toBe(tokens.join(''));
  });

  it('joins the deltas that come while a publish is in flight: fewer events, the same text in order', async () => {
    const { outcome, read } = await run(15, 0);
    const sent = deltas(read, 'message_delta');
    expect(sent.length).toBeLessThan(tokens.length / 4);
    expect(sent.join('')).toBe(tokens.join(''));
    // Reasoning and text never merge into each other, and reasoning stays first.
    expect(deltas(read, 'reasoning_delta').join('')).toBe(reasoning.join(''));
    const kinds = read.map((r) => r?.kind).filter((k) => k === 'message_delta' || k === 'reasoning_delta');
    expect(kinds.indexOf('message_delta')).toBeGreaterThan(kinds.lastIndexOf('reasoning_delta'));
    // What is stored is what was published.
    expect(outcome.text).toBe(tokens.join(''));
    expect(outcome.reasoning).toBe(reasoning.join(''));
  });
});
