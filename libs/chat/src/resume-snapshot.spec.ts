import type { StreamEvent } from '@agents/streaming';
import { resumeSnapshot } from './resume-snapshot';

let seq = 0;
const ev = (payload: unknown, terminal = false): StreamEvent => ({ id: `1-${seq++}`, payload, terminal });
const step = {
  id: 'step_1',
  index: 0,
  type: 'message_creation',
  stepDetails: { message_creation: { message_id: 'r1' } },
};
const text = (t: string) =>
  ev({ event: 'on_message_delta', data: { id: 'step_1', delta: { content: [{ type: 'text', text: t }] } } });
const think = (t: string) =>
  ev({ event: 'on_reasoning_delta', data: { id: 'step_1', delta: { content: [{ type: 'think', think: t }] } } });

describe('resumeSnapshot', () => {
  it('folds created, run steps and deltas into content parts, merging neighbours of the same kind', () => {
    const snap = resumeSnapshot('c1', [
      ev({ created: true, message: { messageId: 'u1', text: 'hi' }, streamId: 'c1' }),
      ev({ event: 'on_run_step', data: step }),
      think('Let me '),
      think('think.'),
      text('Hello'),
      text(', world'),
      ev({
        event: 'on_run_step_completed',
        data: {
          result: { id: 's2', index: 1, tool_call: { id: 'call_1', name: 'calculator', args: '{}', output: '2' } },
        },
      }),
      text('Done'),
    ]);
    expect(snap).toEqual({
      sync: true,
      pendingEvents: [],
      resumeState: {
        conversationId: 'c1',
        responseMessageId: 'r1',
        userMessage: { messageId: 'u1', text: 'hi' },
        runSteps: [step],
        aggregatedContent: [
          { type: 'think', think: 'Let me think.' },
          { type: 'text', text: 'Hello, world' },
          { type: 'tool_call', tool_call: { id: 'call_1', name: 'calculator', args: '{}', output: '2' } },
          { type: 'text', text: 'Done' },
        ],
      },
    });
  });

  it('is empty but well-formed before anything was published, and ignores the terminal payload', () => {
    expect(resumeSnapshot('c2', []).resumeState).toEqual({
      conversationId: 'c2',
      responseMessageId: null,
      userMessage: null,
      runSteps: [],
      aggregatedContent: [],
    });
    const ended = resumeSnapshot('c2', [text('x'), ev({ final: true, responseMessage: { text: 'x' } }, true)]);
    expect(ended.resumeState.aggregatedContent).toEqual([{ type: 'text', text: 'x' }]);
  });
});
