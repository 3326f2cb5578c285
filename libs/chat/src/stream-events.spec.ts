import type { ChatMessageDto } from './dto/conversation.dto';
import type { CompletionResult } from './generation-job';
import { isChatMessage, readStreamEvent, streamEvents } from './stream-events';

const message: ChatMessageDto = {
  messageId: 'u1',
  parentMessageId: null,
  conversationId: 'c1',
  sender: 'User',
  isCreatedByUser: true,
  text: 'hi',
  content: [{ type: 'text', text: 'hi' }],
  attachments: [],
  files: [],
  unfinished: false,
  error: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  provider: null,
  model: null,
  agentVersion: null,
  usage: null,
  edited: false,
  feedback: null,
};
const completion: CompletionResult = {
  status: 'failed',
  text: 'par',
  finishReason: null,
  usage: { promptTokens: 3, completionTokens: 1 },
  model: 'gpt-test',
  error: 'The provider is unavailable',
  failure: { kind: 'unavailable', httpStatus: 503 },
};
/** What a payload becomes once it crossed the bus. */
const wire = (payload: unknown): unknown => JSON.parse(JSON.stringify(payload));

describe('stream events', () => {
  it('builds the wire shapes of docs/http-api.md § Streams', () => {
    expect(streamEvents.created(message, 'c1')).toEqual({ created: true, message, streamId: 'c1' });
    expect(streamEvents.runStep('s1', 'r1')).toEqual({
      event: 'on_run_step',
      data: {
        id: 's1',
        index: 0,
        type: 'message_creation',
        stepDetails: { type: 'message_creation', message_creation: { message_id: 'r1' } },
      },
    });
    expect(streamEvents.messageDelta('s1', 'Hel')).toEqual({
      event: 'on_message_delta',
      data: { id: 's1', delta: { content: [{ type: 'text', text: 'Hel' }] } },
    });
    expect(streamEvents.reasoningDelta('s1', 'Hm')).toEqual({
      event: 'on_reasoning_delta',
      data: { id: 's1', delta: { content: [{ type: 'think', think: 'Hm' }] } },
    });
    expect(streamEvents.title('c1', 'Leave policy')).toEqual({
      event: 'title',
      data: { conversationId: 'c1', title: 'Leave policy' },
    });
    expect(streamEvents.error('boom')).toEqual({ error: 'boom' });
    expect(streamEvents.completionFinal(completion, false)).toEqual({ final: true, completion });
    expect(streamEvents.completionFinal(completion, true)).toEqual({ final: true, completion, aborted: true });
  });

  it('reads back what every builder makes, after a JSON round trip', () => {
    const read = (payload: unknown) => readStreamEvent(wire(payload));
    expect(read(streamEvents.created(message, 'c1'))).toEqual({ kind: 'created', message });
    expect(read(streamEvents.runStep('s1', 'r1'))).toMatchObject({ kind: 'run_step', responseMessageId: 'r1' });
    expect(read(streamEvents.messageDelta('s1', 'Hel'))).toEqual({ kind: 'message_delta', stepId: 's1', text: 'Hel' });
    expect(read(streamEvents.reasoningDelta('s1', 'Hm'))).toEqual({
      kind: 'reasoning_delta',
      stepId: 's1',
      text: 'Hm',
    });
    expect(read(streamEvents.toolCallDelta('s2', [{ id: 'call_1', name: 'calc', args: '{"a"' }]))).toEqual({
      kind: 'tool_call_delta',
      stepId: 's2',
      calls: [{ id: 'call_1', name: 'calc', args: '{"a"' }],
    });
    const toolCall = { id: 'call_1', name: 'calc', args: '{}', output: '2' };
    expect(read(streamEvents.toolResult('s2', 1, toolCall))).toEqual({
      kind: 'tool_result',
      stepId: 's2',
      index: 1,
      toolCall,
    });
    expect(read(streamEvents.toolStep('s2', 1, { id: 'call_1', name: 'calc' }))).toMatchObject({
      kind: 'run_step',
      stepId: 's2',
      index: 1,
      stepType: 'tool_calls',
      toolCall: { id: 'call_1', name: 'calc' },
      responseMessageId: null,
    });
    const attachment = {
      type: 'citations' as const,
      toolCallId: 'call_1',
      messageId: 'm1',
      conversationId: null,
      citations: [],
    };
    expect(read(streamEvents.attachment(attachment))).toEqual({ kind: 'attachment', data: attachment });
    expect(read({ event: 'attachment', data: { file_id: 'f1' } })).toBeNull();
    expect(read(streamEvents.title('c1', 'Leave policy'))).toEqual({
      kind: 'title',
      conversationId: 'c1',
      title: 'Leave policy',
    });
    expect(read({ event: 'title', data: { conversationId: 'c1', title: 42 } })).toBeNull();
    expect(
      read(
        streamEvents.final(
          { conversation: null, title: null, requestMessage: message, responseMessage: message },
          true,
        ),
      ),
    ).toEqual({ kind: 'final', aborted: true, responseMessage: message });
    expect(read(streamEvents.completionFinal(completion, false))).toEqual({
      kind: 'final',
      aborted: false,
      completion,
    });
    expect(read(streamEvents.error('boom', { completion }))).toEqual({ kind: 'error', message: 'boom', completion });
    expect(read(streamEvents.error('boom', { responseMessage: message }))).toEqual({
      kind: 'error',
      message: 'boom',
      responseMessage: message,
    });
  });

  it('passes over what is none of the payloads, and drops fields that are not what they claim', () => {
    expect(readStreamEvent(null)).toBeNull();
    expect(readStreamEvent('text')).toBeNull();
    expect(readStreamEvent({ event: 'on_unknown', data: {} })).toBeNull();
    expect(readStreamEvent({ event: 'on_message_delta', data: { id: 's1', delta: { content: [] } } })).toBeNull();
    expect(readStreamEvent({ error: 'x', completion: { status: 'weird', text: '' } })).toEqual({
      kind: 'error',
      message: 'x',
    });
    expect(readStreamEvent({ final: true, responseMessage: { messageId: 'm' } })).toEqual({
      kind: 'final',
      aborted: false,
    });
    expect(isChatMessage(message)).toBe(true);
    expect(isChatMessage({ ...message, text: 3 })).toBe(false);
  });
});
