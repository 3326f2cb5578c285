import { NO_RESULT, threadHistory } from './thread-history';

describe('threadHistory', () => {
  it('replays plain turns as user and assistant messages', () => {
    expect(
      threadHistory([
        { isCreatedByUser: true, text: 'Hi', content: [{ type: 'text', text: 'Hi' }] },
        { isCreatedByUser: false, text: 'Hello', content: [{ type: 'text', text: 'Hello' }] },
        { isCreatedByUser: false, text: 'Old answer', content: null },
      ]),
    ).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'assistant', content: 'Old answer' },
    ]);
  });

  it('replays an answer that used tools as it happened: text and calls, their results, the text after', () => {
    const call = (id: string, output?: string) => ({
      type: 'tool_call' as const,
      tool_call: { id, name: 'calculator', args: `{"input":"${id}"}`, ...(output !== undefined ? { output } : {}) },
    });
    const history = threadHistory([
      { isCreatedByUser: true, text: 'Sum?', content: [] },
      {
        isCreatedByUser: false,
        text: 'Checking. The sums are 2 and 4. Also 6.',
        content: [
          { type: 'think', think: 'I should compute.' },
          { type: 'text', text: 'Checking. ' },
          call('a', '2'),
          call('b', '4'),
          { type: 'text', text: 'The sums are 2 and 4. ' },
          call('c'),
          { type: 'text', text: 'Also 6.' },
        ],
      },
    ]);
    expect(history).toEqual([
      { role: 'user', content: 'Sum?' },
      {
        role: 'assistant',
        content: 'Checking. ',
        toolCalls: [
          { id: 'a', name: 'calculator', arguments: '{"input":"a"}' },
          { id: 'b', name: 'calculator', arguments: '{"input":"b"}' },
        ],
      },
      { role: 'tool', toolCallId: 'a', content: '2' },
      { role: 'tool', toolCallId: 'b', content: '4' },
      {
        role: 'assistant',
        content: 'The sums are 2 and 4. ',
        toolCalls: [{ id: 'c', name: 'calculator', arguments: '{"input":"c"}' }],
      },
      // A call cut off before its result still gets one: providers refuse a call without a result.
      { role: 'tool', toolCallId: 'c', content: NO_RESULT },
      { role: 'assistant', content: 'Also 6.' },
    ]);
  });

  it('ends with the tool results when the answer stopped after its calls', () => {
    const history = threadHistory([
      {
        isCreatedByUser: false,
        text: '',
        content: [{ type: 'tool_call', tool_call: { id: 'x', name: 'web_search', args: '{}', output: 'Error: down' } }],
      },
    ]);
    expect(history).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'x', name: 'web_search', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'x', content: 'Error: down' },
    ]);
  });
});
