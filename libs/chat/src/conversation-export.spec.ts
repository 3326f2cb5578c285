import { conversationMarkdown, editedContent, exportFilename, MARKDOWN_TOOL_OUTPUT_CHARS } from './conversation-export';
import type { ChatMessageDto, ConversationDto } from './dto/conversation.dto';

const conversation: ConversationDto = {
  conversationId: 'c1',
  title: 'Leave\npolicy',
  agent_id: 'agent_V1StGXR8_Z5jdHi6B-myT',
  isArchived: false,
  createdAt: '2026-11-29T12:00:00.000Z',
  updatedAt: '2026-11-29T12:10:00.000Z',
};

let clock = 0;
function msg(id: string, parent: string | null, text: string, overrides: Partial<ChatMessageDto> = {}): ChatMessageDto {
  clock += 1;
  const byUser = overrides.isCreatedByUser ?? id.startsWith('q');
  return {
    messageId: id,
    parentMessageId: parent,
    conversationId: 'c1',
    sender: byUser ? 'User' : 'Helper',
    isCreatedByUser: byUser,
    text,
    content: [{ type: 'text', text }],
    attachments: [],
    files: [],
    unfinished: false,
    error: false,
    createdAt: new Date(Date.parse('2026-11-29T12:00:00.000Z') + clock * 1000).toISOString(),
    provider: byUser ? null : 'openai',
    model: byUser ? null : 'gpt-4o',
    agentVersion: byUser ? null : 1,
    usage: null,
    edited: false,
    feedback: null,
    ...overrides,
  };
}

const EXPORTED = new Date('2026-11-30T08:00:00.000Z');
const headings = (markdown: string) => markdown.split('\n').filter((line) => line.startsWith('#'));

describe('conversationMarkdown', () => {
  it('writes a conversation that never branched as one thread, messages in order with their facts', () => {
    const markdown = conversationMarkdown(
      conversation,
      [
        msg('q1', null, 'How many days?', {
          files: [{ file_id: 'f', filename: 'policy.pdf', type: 'application/pdf', bytes: 9 }],
        }),
        msg('a1', 'q1', '25 days.', { edited: true }),
        msg('q2', 'a1', 'And **sick** days?'),
        msg('a2', 'q2', 'Unlimited', { unfinished: true }),
      ],
      EXPORTED,
    );
    expect(headings(markdown)).toEqual([
      '# Leave policy',
      '## Messages',
      expect.stringMatching(/^### User · 2026-11-29T12:00:0\d\.000Z$/),
      expect.stringMatching(/^### Helper · .* · gpt-4o · edited$/),
      expect.stringMatching(/^### User · /),
      expect.stringMatching(/^### Helper · .* · gpt-4o · unfinished$/),
    ]);
    expect(markdown).toContain('- Exported: 2026-11-30T08:00:00.000Z');
    expect(markdown).toContain('- Messages: 4');
    expect(markdown).toContain('_Attached: policy.pdf_');
    // The messages' own Markdown is kept as it is, in order.
    const order = ['How many days?', '25 days.', 'And **sick** days?', 'Unlimited'].map((t) => markdown.indexOf(t));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    expect(markdown.endsWith('\n')).toBe(true);
  });

  it('writes every branch in tree order, each thread once, numbered by its place in the tree', () => {
    const markdown = conversationMarkdown(
      conversation,
      [
        msg('q1', null, 'root question'),
        msg('a1', 'q1', 'root answer'),
        msg('q2', 'a1', 'first follow-up'),
        msg('a2', 'q2', 'first reply'),
        msg('q2b', 'a1', 'second follow-up'),
        msg('a2b', 'q2b', 'second reply, try 1'),
        msg('a2c', 'q2b', 'second reply, try 2'),
        msg('q9', null, 'another root'),
      ],
      EXPORTED,
    );
    expect(headings(markdown).filter((h) => h.startsWith('## '))).toEqual([
      '## Thread 1',
      '## Thread 1.1',
      '## Thread 1.2',
      '## Thread 1.2.1',
      '## Thread 1.2.2',
      '## Thread 2',
    ]);
    const section = (label: string) => markdown.split(`## Thread ${label}\n`)[1].split('\n## ')[0];
    expect(section('1')).toContain('root answer');
    expect(section('1')).not.toContain('follow-up');
    expect(section('1.1')).toContain('_Branches off thread 1 after the message of Helper at');
    expect(section('1.1')).toContain('first reply');
    expect(section('1.2')).toContain('second follow-up');
    expect(section('1.2')).not.toContain('try 1');
    expect(section('1.2.2')).toContain('second reply, try 2');
    expect(section('2')).toContain('another root');
    for (const text of ['root question', 'first reply', 'second reply, try 1']) {
      expect(markdown.split(text)).toHaveLength(2); // each message exactly once
    }
  });

  it('shows reasoning, tool calls (fenced whatever they hold, long results cut) and sources', () => {
    const output = `${'x'.repeat(MARKDOWN_TOOL_OUTPUT_CHARS)}TAIL`;
    const markdown = conversationMarkdown(
      conversation,
      [
        msg('q1', null, 'Search'),
        msg('a1', 'q1', 'Found it.', {
          content: [
            { type: 'think', think: 'Look it up.\nThen answer.' },
            { type: 'tool_call', tool_call: { id: 't', name: 'web_search', args: '{"q":"```"}', output } },
            { type: 'text', text: 'Found it.' },
          ],
          attachments: [
            {
              type: 'citations',
              toolCallId: 't',
              messageId: 'a1',
              conversationId: 'c1',
              citations: [{ index: 1, title: 'Leave\npolicy', url: 'https://example.com/a b' }],
            },
          ],
        }),
      ],
      EXPORTED,
    );
    expect(markdown).toContain('> **Reasoning**\n>\n> Look it up.\n> Then answer.');
    expect(markdown).toContain('**Tool call** `web_search`\n\n````\n{"q":"```"}\n````');
    expect(markdown).not.toContain('TAIL');
    expect(markdown).toContain(
      `_Result cut at ${MARKDOWN_TOOL_OUTPUT_CHARS} characters; the JSON export has all of it._`,
    );
    expect(markdown).toContain('1. [Leave policy](<https://example.com/a b>)');
  });

  it('says so when there are no messages', () => {
    expect(conversationMarkdown({ ...conversation, title: '' }, [], EXPORTED)).toContain('# Conversation');
    expect(conversationMarkdown(conversation, [], EXPORTED)).toContain('_No messages._');
  });
});

describe('exportFilename', () => {
  it('keeps a readable title and drops what a file system or a header trips on', () => {
    expect(exportFilename('Leave policy', 'json')).toBe('Leave policy.json');
    expect(exportFilename('Q3 "plan" / draft: v2?', 'md')).toBe('Q3 -plan- - draft- v2-.md');
    expect(exportFilename('../../etc/passwd', 'md')).toBe('etc-passwd.md');
    expect(exportFilename('line\nbreak\u202Eevil', 'json')).toBe('line break evil.json');
    expect(exportFilename('Café ☕', 'json')).toBe('Café ☕.json');
    expect(exportFilename('   ', 'json')).toBe('conversation.json');
    expect(exportFilename('...', 'md')).toBe('conversation.md');
    expect(Array.from(exportFilename('é'.repeat(300), 'json'))).toHaveLength(105);
  });
});

describe('editedContent', () => {
  it('puts the new text in place of the last text part and keeps reasoning and tool calls', () => {
    const call = { type: 'tool_call' as const, tool_call: { id: 't', name: 'calculator', args: '{}', output: '4' } };
    expect(
      editedContent(
        [
          { type: 'think', think: 'hm' },
          { type: 'text', text: 'Let me see.' },
          call,
          { type: 'text', text: 'It is 4.' },
        ],
        'Four.',
      ),
    ).toEqual([{ type: 'think', think: 'hm' }, call, { type: 'text', text: 'Four.' }]);
    expect(editedContent([{ type: 'text', text: 'old' }], 'new')).toEqual([{ type: 'text', text: 'new' }]);
    expect(editedContent([call], 'Four.')).toEqual([call, { type: 'text', text: 'Four.' }]);
    expect(editedContent([], 'Four.')).toEqual([{ type: 'text', text: 'Four.' }]);
  });
});
