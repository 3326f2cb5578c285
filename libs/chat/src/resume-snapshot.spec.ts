import type { StreamEvent } from '@agents/streaming';
import { resumeSnapshot } from './resume-snapshot';
import { streamEvents } from './stream-events';

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
        attachments: [],
      },
    });
  });

  it('places each tool call where the model began it, filling in its arguments and its result whenever they come', () => {
    const toolStep = (id: string, index: number, callId: string) =>
      ev(streamEvents.toolStep(id, index, { id: callId, name: 'calculator' }));
    const attachment = {
      type: 'citations' as const,
      toolCallId: 'call_b',
      messageId: 'r1',
      conversationId: 'c1',
      citations: [{ index: 1, title: 'A', url: 'https://a.example' }],
    };
    const snap = resumeSnapshot('c1', [
      ev(streamEvents.runStep('step_1', 'r1')),
      text('Let me check.'),
      toolStep('step_a', 1, 'call_a'),
      ev(streamEvents.toolCallDelta('step_a', [{ id: 'call_a', name: 'calculator', args: '{"input":' }])),
      toolStep('step_b', 2, 'call_b'),
      ev(streamEvents.toolCallDelta('step_b', [{ args: '{"input":"2+2"}' }])),
      ev(streamEvents.toolCallDelta('step_a', [{ args: '"1+1"}' }])),
      // The second call finishes first: its part stays second.
      ev(
        streamEvents.toolResult('step_b', 2, {
          id: 'call_b',
          name: 'calculator',
          args: '{"input":"2+2"}',
          output: '4',
        }),
      ),
      ev(streamEvents.attachment(attachment)),
      ev(streamEvents.runStep('step_3', 'r1', 3)),
      text('Both done.'),
    ]);
    expect(snap.resumeState.aggregatedContent).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_call', tool_call: { id: 'call_a', name: 'calculator', args: '{"input":"1+1"}' } },
      { type: 'tool_call', tool_call: { id: 'call_b', name: 'calculator', args: '{"input":"2+2"}', output: '4' } },
      { type: 'text', text: 'Both done.' },
    ]);
    expect(snap.resumeState.attachments).toEqual([attachment]);
    expect(snap.resumeState.runSteps.map((s) => s.id)).toEqual(['step_1', 'step_a', 'step_b', 'step_3']);
  });

  it('keeps the generated title of a `title` event, wherever it comes, without touching the content', () => {
    const before = resumeSnapshot('c3', [ev({ event: 'on_run_step', data: step }), text('Hel'), text('lo')]);
    expect(before.resumeState).not.toHaveProperty('title');
    const titled = resumeSnapshot('c3', [
      ev({ event: 'on_run_step', data: step }),
      text('Hel'),
      ev(streamEvents.title('c3', 'Greetings')),
      text('lo'),
    ]);
    expect(titled.resumeState).toEqual({ ...before.resumeState, title: 'Greetings' });
    expect(titled.resumeState.aggregatedContent).toEqual([{ type: 'text', text: 'Hello' }]);
  });

  it('is empty but well-formed before anything was published, and ignores the terminal payload', () => {
    expect(resumeSnapshot('c2', []).resumeState).toEqual({
      conversationId: 'c2',
      responseMessageId: null,
      userMessage: null,
      runSteps: [],
      aggregatedContent: [],
      attachments: [],
    });
    const ended = resumeSnapshot('c2', [text('x'), ev({ final: true, responseMessage: { text: 'x' } }, true)]);
    expect(ended.resumeState.aggregatedContent).toEqual([{ type: 'text', text: 'x' }]);
  });
});
