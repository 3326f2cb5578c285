import { NO_RESULT, threadHistory, threadHistoryWithFiles } from './thread-history';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const png = (file_id: string) => ({ file_id, filename: `${file_id}.png`, type: 'image/png', bytes: PNG.length });

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

describe('threadHistoryWithFiles', () => {
  it('gives each user message its files, and replays the rest as threadHistory does', async () => {
    const read = jest.fn((id: string) => Promise.resolve(id === 'notes' ? Buffer.from('a,b') : PNG));
    const history = await threadHistoryWithFiles(
      [
        { isCreatedByUser: true, text: 'See', content: [], files: [png('p1')] },
        { isCreatedByUser: false, text: 'A chart.', content: [{ type: 'text', text: 'A chart.' }] },
        {
          isCreatedByUser: true,
          text: 'And this?',
          content: [],
          files: [{ file_id: 'notes', filename: 'n.csv', type: 'text/csv', bytes: 3 }],
        },
        { isCreatedByUser: true, text: 'Plain', content: [], files: [] },
      ],
      read,
    );
    expect(history).toEqual([
      { role: 'user', content: 'See', images: [{ mimeType: 'image/png', data: PNG.toString('base64') }] },
      { role: 'assistant', content: 'A chart.' },
      { role: 'user', content: 'And this?\n\nAttached file "n.csv":\n```\na,b\n```' },
      { role: 'user', content: 'Plain' },
    ]);
  });

  it("shows the newest messages' images first, 10 in all, and only names older ones", async () => {
    const read = jest.fn(() => Promise.resolve(PNG));
    const older = Array.from({ length: 3 }, (_, i) => png(`old${i}`));
    const newer = Array.from({ length: 9 }, (_, i) => png(`new${i}`));
    const history = await threadHistoryWithFiles(
      [
        { isCreatedByUser: true, text: 'first', content: [], files: older },
        { isCreatedByUser: true, text: 'second', content: [], files: newer },
      ],
      read,
    );
    expect(history.map((m) => (m.role === 'user' ? (m.images?.length ?? 0) : -1))).toEqual([1, 9]);
    expect(history[0].content).toContain('"old1.png" (image/png, 12 bytes): an image no longer shown');
    expect(read).toHaveBeenCalledTimes(10);
  });
});
