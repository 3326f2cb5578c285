import type { ChatMessage } from '@agents/providers';
import { appendToolCall, historyOfAnswer } from './conversation-history';

const call = (id: string) => ({ id, name: 'calculator', arguments: '{}' });

describe('appendToolCall', () => {
  it('joins the assistant text it follows, and the calls of the same turn', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'Let me compute.' },
    ];
    appendToolCall(messages, call('a'), '1');
    appendToolCall(messages, call('b'), '2');
    expect(messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'Let me compute.', toolCalls: [call('a'), call('b')] },
      { role: 'tool', toolCallId: 'a', content: '1' },
      { role: 'tool', toolCallId: 'b', content: '2' },
    ]);
  });

  it('opens a turn of its own after a user message, or after the text that followed earlier calls', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'Q' }];
    appendToolCall(messages, call('a'), '1');
    messages.push({ role: 'user', content: 'Again' });
    appendToolCall(messages, call('b'), '2');
    expect(messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: '', toolCalls: [call('a')] },
      { role: 'tool', toolCallId: 'a', content: '1' },
      { role: 'user', content: 'Again' },
      { role: 'assistant', content: '', toolCalls: [call('b')] },
      { role: 'tool', toolCallId: 'b', content: '2' },
    ]);
  });
});

describe('historyOfAnswer', () => {
  it('leaves out reasoning and calls that never got a result', () => {
    expect(
      historyOfAnswer([
        { type: 'text', text: 'A' },
        { type: 'think', think: 'hm' },
        { type: 'text', text: 'B' },
        { type: 'tool_call', tool_call: { id: 'cut', name: 'calculator', args: '{"ex' } },
        { type: 'text', text: 'C' },
      ]),
    ).toEqual([{ role: 'assistant', content: 'ABC' }]);
  });

  it('makes text after tool results a turn of its own', () => {
    expect(
      historyOfAnswer([
        { type: 'tool_call', tool_call: { id: 'a', name: 'web_search', args: '{"query":"x"}', output: 'found' } },
        { type: 'text', text: 'Answer' },
      ]),
    ).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'web_search', arguments: '{"query":"x"}' }] },
      { role: 'tool', toolCallId: 'a', content: 'found' },
      { role: 'assistant', content: 'Answer' },
    ]);
  });

  it('keeps the assistant’s (empty) turn for an answer with nothing in it', () => {
    expect(historyOfAnswer([])).toEqual([{ role: 'assistant', content: '' }]);
  });
});
