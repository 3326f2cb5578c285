import {
  ContentFold,
  readStreamEvent,
  streamEvents,
  type CompletionResult,
  type MessageAttachment,
  type StreamEventPayload,
} from '@agents/chat';
import { expectResponseEvent, expectSchema } from '@agents/testing/openai-schemas';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { readGenerationEvent, type GenerationEvent } from './generation-events';
import { conversationFrom, responseInputFrom, storedItemEntries } from './request-mapping';
import { ResponseEvents, ResponseFold, type ResponseObject, type ResponseSettings } from './response-events';
import { hostedToolOf, outputItemId, toolCallItem, toolItemTypeOf } from './response-items';
import { responseIdOfItem } from './responses.repository';

/*
 * The image tool (`dalle`) in the Responses API: OpenAI's `image_generation_call` item and its
 * streamed events, every one valid against OpenAI's published schema. The image itself is the
 * call's file attachment; the item's `result` is null.
 */

const MESSAGE_ID = 'answer-1';
const ARGS = '{"prompt": "a red square", "size": "1024x1024"}';
const OUTPUT = 'Generated an image (1024x1024): image-0a1b2c3d.png. It is shown to the user.';

const fileAttachment = (toolCallId: string): MessageAttachment => ({
  type: 'file',
  toolCallId,
  messageId: MESSAGE_ID,
  conversationId: null,
  fileId: 'file_1',
  filename: 'image-0a1b2c3d.png',
  mimeType: 'image/png',
  bytes: 1234,
});

/** Text, an image generation whose arguments stream in two pieces, its result and file, then more text. */
function imageRun(output = OUTPUT): StreamEventPayload[] {
  return [
    streamEvents.runStep('s_text1', MESSAGE_ID, 0),
    streamEvents.messageDelta('s_text1', 'Drawing it.'),
    streamEvents.toolStep('s_img', 1, { id: 'call_img', name: 'dalle' }),
    streamEvents.toolCallDelta('s_img', [{ id: 'call_img', name: 'dalle', args: '{"prompt": "a red' }]),
    streamEvents.toolCallDelta('s_img', [{ args: ' square", "size": "1024x1024"}' }]),
    streamEvents.toolResult('s_img', 1, { id: 'call_img', name: 'dalle', args: ARGS, output }),
    ...(output.startsWith('Error:') ? [] : [streamEvents.attachment(fileAttachment('call_img'))]),
    streamEvents.runStep('s_text2', MESSAGE_ID, 2),
    streamEvents.messageDelta('s_text2', 'Here it is.'),
  ];
}

function read(payloads: StreamEventPayload[]): GenerationEvent[] {
  return payloads.map((p) => readGenerationEvent(JSON.parse(JSON.stringify(p))) as GenerationEvent);
}

function resultOf(payloads: StreamEventPayload[], overrides: Partial<CompletionResult> = {}): CompletionResult {
  const fold = new ContentFold();
  for (const payload of payloads) {
    const event = readStreamEvent(payload);
    if (event) fold.apply(event);
  }
  return {
    status: 'completed',
    text: fold.text,
    content: fold.content,
    attachments: fold.attachments,
    finishReason: 'stop',
    usage: { promptTokens: 10, completionTokens: 5 },
    model: 'gpt-4o',
    ...overrides,
  };
}

const settings = (streamed: boolean): ResponseSettings => ({
  id: 'resp_k1',
  createdAt: 1_764_000_000,
  model: 'agent_x',
  itemKey: 'k1',
  streamed,
  instructions: null,
  previousResponseId: null,
  temperature: null,
  topP: null,
  maxOutputTokens: null,
  store: true,
  echo: {
    metadata: {},
    parallel_tool_calls: true,
    tool_choice: 'auto',
    truncation: 'auto',
    text: { format: { type: 'text' } },
  },
});

function streamed(events: GenerationEvent[]): ResponseStreamEvent[] {
  const fold = new ResponseFold(new ResponseEvents(settings(true)));
  return events.flatMap((event) => {
    const step = fold.next(event);
    return step.type === 'none' ? [] : step.events;
  });
}

function nonStreamed(events: GenerationEvent[]): ResponseObject {
  const fold = new ResponseFold(new ResponseEvents(settings(false)));
  for (const event of events) {
    const step = fold.next(event);
    if (step.type === 'end') return step.response;
  }
  throw new Error('no end');
}

const terminal = (events: ResponseStreamEvent[]): ResponseObject => {
  const last = events.at(-1);
  if (!last || !('response' in last)) throw new Error('no terminal event');
  return last.response as ResponseObject;
};

const itemEvents = (events: ResponseStreamEvent[], index: number): string[] =>
  events.filter((e) => 'output_index' in e && e.output_index === index).map((e) => e.type);

describe('the image tool as an image_generation_call item', () => {
  it.each(['dalle', 'image_gen'])(
    'shows %s as OpenAI’s image generation, with ig_ ids its response is found by',
    (id) => {
      expect(hostedToolOf(id)).toEqual({ type: 'image_generation' });
      expect(toolItemTypeOf(id)).toBe('image_generation_call');
      expect(outputItemId('abc', 'image_generation_call', 0)).toBe('ig_abc');
      expect(outputItemId('abc', 'image_generation_call', 3)).toBe('ig_abc_3');
      expect(responseIdOfItem('ig_abc_3')).toBe('resp_abc');
      expect(responseIdOfItem('ig_abc')).toBe('resp_abc');
    },
  );

  it.each([
    ['in progress while the answer streams', undefined, true, 'in_progress'],
    ['completed with its output', OUTPUT, false, 'completed'],
    [
      'failed when its output is the worker’s error',
      'Error: image generation failed: the image API answered 400',
      false,
      'failed',
    ],
    ['failed when the answer ended without its result', undefined, false, 'failed'],
  ])('is %s, its result null (the image is the call’s file)', (_name, output, pending, status) => {
    const call = { id: 'call_img', name: 'dalle', args: ARGS, ...(output !== undefined ? { output } : {}) };
    const item = toolCallItem('ig_k1_1', call, [fileAttachment('call_img')], pending);
    expect(item).toEqual({ type: 'image_generation_call', id: 'ig_k1_1', status, result: null });
    expectSchema('OutputItem', item);
    expectSchema('ImageGenToolCall', item);
  });
});

describe('a run that generates an image', () => {
  const payloads = imageRun();
  const result = resultOf(payloads);
  const events = [...read(payloads), { type: 'final', result } as const];
  const out = streamed(events);

  it('streams the call’s events in order, every one valid against OpenAI’s schema', () => {
    for (const event of out) expectResponseEvent(event);
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    expect(itemEvents(out, 1)).toEqual([
      'response.output_item.added',
      'response.image_generation_call.in_progress',
      // Its arguments are complete: the image is being made.
      'response.image_generation_call.generating',
      'response.image_generation_call.completed',
      'response.output_item.done',
    ]);
    const added = out.find((e) => e.type === 'response.output_item.added' && e.output_index === 1);
    expect(added).toMatchObject({
      item: { type: 'image_generation_call', id: 'ig_k1_1', status: 'in_progress', result: null },
    });
    expect(out.at(-1)?.type).toBe('response.completed');
  });

  it('ends with the item completed between the two messages, the same streamed or not', () => {
    const response = terminal(out);
    expectSchema('Response', response);
    expect(response.output).toEqual([
      expect.objectContaining({ id: 'msg_k1', type: 'message', status: 'completed' }),
      { type: 'image_generation_call', id: 'ig_k1_1', status: 'completed', result: null },
      expect.objectContaining({ id: 'msg_k1_2', type: 'message', status: 'completed' }),
    ]);
    expect(response.output_text).toBe('Drawing it.Here it is.');
    const done = out.find((e) => e.type === 'response.output_item.done' && e.output_index === 1);
    expect(done).toMatchObject({ item: response.output[1] });
    expect(nonStreamed(events)).toEqual(response);
    expect(nonStreamed([{ type: 'final', result }])).toEqual(response);
  });

  it('takes the item back when the client sends the output again, giving the model nothing for it', () => {
    const output = JSON.parse(JSON.stringify(terminal(out).output)) as Record<string, unknown>[];
    const { messages } = conversationFrom(responseInputFrom([{ role: 'user', content: 'Q' }, ...output]), new Map());
    expect(messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'Drawing it.' },
      { role: 'assistant', content: 'Here it is.' },
    ]);
    expect(storedItemEntries(output[1], 'input[0]')).toEqual([]);
  });

  it('takes back OpenAI’s own item, its result the image’s base64, and refuses fields it does not have', () => {
    const item = { type: 'image_generation_call', id: 'ig_123', status: 'completed', result: 'iVBORw0KGgo=' };
    expectSchema('ImageGenToolCall', item);
    expect(responseInputFrom([item])).toEqual([]);
    expect(() => responseInputFrom([{ ...item, size: '1024x1024' }])).toThrow(/input\[0\]\.size/);
    expect(() => responseInputFrom([{ ...item, result: 42 }])).toThrow(/input\[0\]\.result/);
  });
});

describe('a run whose image generation fails or never ends', () => {
  it('ends a failed call with its item alone: OpenAI has no failed event for it', () => {
    const payloads = imageRun('Error: image generation failed: the image API answered 400: rejected');
    const events = [...read(payloads), { type: 'final', result: resultOf(payloads) } as const];
    const out = streamed(events);
    for (const event of out) expectResponseEvent(event);
    expect(itemEvents(out, 1)).toEqual([
      'response.output_item.added',
      'response.image_generation_call.in_progress',
      'response.image_generation_call.generating',
      'response.output_item.done',
    ]);
    const response = terminal(out);
    expectSchema('Response', response);
    expect(response.output[1]).toEqual({
      type: 'image_generation_call',
      id: 'ig_k1_1',
      status: 'failed',
      result: null,
    });
    expect(nonStreamed(events)).toEqual(response);
  });

  it('ends a call the answer ended without as failed', () => {
    const payloads = [
      streamEvents.toolStep('s_img', 0, { id: 'call_img', name: 'dalle' }),
      streamEvents.toolCallDelta('s_img', [{ id: 'call_img', name: 'dalle', args: '{"prompt": "a re' }]),
    ];
    const result = resultOf(payloads, { finishReason: 'length', text: '' });
    const events = [...read(payloads), { type: 'final', result } as const];
    const out = streamed(events);
    for (const event of out) expectResponseEvent(event);
    expect(itemEvents(out, 0)).toEqual([
      'response.output_item.added',
      'response.image_generation_call.in_progress',
      'response.output_item.done',
    ]);
    const response = terminal(out);
    expect(out.at(-1)?.type).toBe('response.incomplete');
    expectSchema('Response', response);
    expect(response.output[0]).toEqual({ type: 'image_generation_call', id: 'ig_k1', status: 'failed', result: null });
    expect(nonStreamed(events)).toEqual(response);
  });
});
