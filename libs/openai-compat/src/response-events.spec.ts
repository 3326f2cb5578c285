import type { CompletionResult } from '@agents/chat';
import { expectResponseEvent, expectSchema } from '@agents/testing/openai-schemas';
import type { AnswerEvent } from './generation-events';
import { ResponseEvents, ResponseFold, type ResponseSettings } from './response-events';

const settings: ResponseSettings = {
  id: 'resp_1',
  createdAt: 1_764_000_000,
  model: 'agent_x',
  itemKey: '1',
  streamed: true,
  instructions: 'Answer in French.',
  previousResponseId: null,
  temperature: 0.5,
  topP: null,
  maxOutputTokens: null,
  store: true,
  echo: {
    metadata: { ticket: 'T-1' },
    parallel_tool_calls: true,
    tool_choice: 'auto',
    truncation: 'auto',
    text: { format: { type: 'text' } },
  },
};
const result = (overrides: Partial<CompletionResult> = {}): CompletionResult => ({
  status: 'completed',
  text: 'Bonjour monde',
  finishReason: 'stop',
  usage: { promptTokens: 5, completionTokens: 2 },
  model: 'gpt-4o',
  ...overrides,
});
const text = (delta: string): AnswerEvent => ({ kind: 'message_delta', stepId: 'step_1', text: delta });

describe('ResponseEvents', () => {
  it('emits the typed events of a streamed response in order, numbered from 0', () => {
    const builder = new ResponseEvents(settings);
    const events = [
      ...builder.start(),
      ...builder.answer(text('Bonjour')),
      ...builder.answer(text(' monde')),
      ...builder.finish(result()).events,
    ];
    for (const event of events) expectResponseEvent(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events[0]).toMatchObject({ response: { id: 'resp_1', status: 'in_progress', output: [] } });
    expect(events[6]).toMatchObject({ item_id: 'msg_1', text: 'Bonjour monde' });
    expect(events[9]).toMatchObject({
      response: {
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        model: 'agent_x',
        instructions: 'Answer in French.',
        temperature: 0.5,
        output: [
          {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: 'Bonjour monde', annotations: [] }],
          },
        ],
        usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
        error: null,
      },
    });
  });

  it('opens the message item at the end for an empty answer, and marks a length cut as incomplete', () => {
    const { events, response } = new ResponseEvents(settings).finish(result({ text: '', finishReason: 'length' }));
    for (const event of events) expectResponseEvent(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    // The message the cut ended is incomplete, in its done event as in the response.
    expect(events[4]).toMatchObject({ item: { id: 'msg_1', status: 'incomplete' } });
    expect(response.output).toEqual([expect.objectContaining({ id: 'msg_1', status: 'incomplete' })]);
  });

  it('without streaming makes no events of the answer and builds the response from the result', () => {
    const builder = new ResponseEvents({ ...settings, streamed: false });
    expect(builder.answer(text('ignored'))).toEqual([]);
    const fromContent = builder.finish(
      result({
        text: 'AB',
        content: [
          { type: 'text', text: 'A' },
          { type: 'think', think: 'hm' },
          { type: 'text', text: 'B' },
        ],
      }),
    );
    expect(fromContent.events).toEqual([]);
    expectSchema('Response', fromContent.response);
    expect(fromContent.response).toMatchObject({
      output_text: 'AB',
      output: [{ id: 'msg_1', content: [{ text: 'AB' }] }],
    });
    // A result of a worker older than content parts: its text.
    const fromText = new ResponseEvents({ ...settings, streamed: false }).finish(result());
    expect(fromText.response.output).toEqual([
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Bonjour monde', annotations: [], logprobs: [] }],
      },
    ]);
    expect(fromText.content).toEqual([{ type: 'text', text: 'Bonjour monde' }]);
  });

  it('ends a failed generation with one response.failed carrying the error', () => {
    const builder = new ResponseEvents(settings);
    builder.start();
    const { events, response } = builder.fail('provider answered 500');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'response.failed', sequence_number: 2 });
    expect(response).toMatchObject({
      status: 'failed',
      error: { code: 'server_error', message: 'provider answered 500' },
    });
  });

  it.each([
    ['bad_request', 'invalid_prompt'],
    ['rate_limit', 'rate_limit_exceeded'],
    ['unavailable', 'server_error'],
  ] as const)('codes a provider failure of kind %s as %s, from OpenAI’s list', (kind, code) => {
    const { response } = new ResponseEvents(settings).fail(
      'refused',
      result({ status: 'failed', failure: { kind, httpStatus: 400 } }),
    );
    expect(response.error).toEqual({ code, message: 'refused' });
  });
});

describe('ResponseFold', () => {
  const types = (step: ReturnType<ResponseFold['next']>): string[] =>
    step.type === 'none' ? [] : step.events.map((e) => e.type);

  it('puts the opening events ahead of the first event, once, and ends once', () => {
    const fold = new ResponseFold(new ResponseEvents(settings));
    expect(types(fold.next({ type: 'answer', payload: text('Bon') }))).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    expect(fold.open()).toEqual([]);
    const end = fold.next({ type: 'final', result: result({ text: 'Bon' }) });
    expect(end).toMatchObject({
      type: 'end',
      content: [{ type: 'text', text: 'Bon' }],
      response: { status: 'completed' },
    });
    expect(end.type === 'end' && end.error).toBeFalsy();
    expect(fold.next({ type: 'answer', payload: text('late') })).toEqual({ type: 'none' });
  });

  it('ends a failed generation with response.failed and the error a JSON answer carries', () => {
    const fold = new ResponseFold(new ResponseEvents({ ...settings, streamed: false }));
    expect(fold.open().map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
    const failure = result({ status: 'failed', text: 'par', failure: { kind: 'rate_limit', httpStatus: 429 } });
    const end = fold.next({ type: 'error', message: 'Slow down', result: failure });
    expect(types(end)).toEqual(['response.failed']);
    // Without streaming the output is the failed result's, here its text (a worker older than content parts).
    expect(end).toMatchObject({
      type: 'end',
      content: [{ type: 'text', text: 'par' }],
      response: { output: [{ type: 'message', status: 'incomplete', content: [{ text: 'par' }] }] },
      error: { status: 429 },
    });
    expect(fold.storeFailed()).toMatchObject({ response: { status: 'failed' }, error: { status: 500 } });
  });
});
