import type { ChatMessage, ChatToolCall } from '@agents/providers';
import type { ContentPart } from '@agents/chat';

/** What history needs of a stored message. */
export interface StoredTurn {
  isCreatedByUser: boolean;
  text: string;
  content: ContentPart[] | null;
}

/** The result given for a call whose run was cut off (an abort, a crash) before it answered. */
export const NO_RESULT = 'No result: the call did not finish';

/**
 * A thread as the provider hears it. An answer that used tools is replayed as it happened: the
 * text before each batch of calls with the calls, each call's result, then the text after — so a
 * follow-up about a tool's result finds it in the history. Reasoning is not replayed.
 */
export function threadHistory(turns: readonly StoredTurn[]): ChatMessage[] {
  return turns.flatMap((turn) => (turn.isCreatedByUser ? [{ role: 'user', content: turn.text }] : answerHistory(turn)));
}

function answerHistory(turn: StoredTurn): ChatMessage[] {
  const parts = turn.content ?? [];
  if (!parts.some((part) => part.type === 'tool_call')) return [{ role: 'assistant', content: turn.text }];
  const messages: ChatMessage[] = [];
  let text = '';
  let calls: Extract<ContentPart, { type: 'tool_call' }>['tool_call'][] = [];
  const flushCalls = (): void => {
    const toolCalls: ChatToolCall[] = calls.map((call) => ({ id: call.id, name: call.name, arguments: call.args }));
    messages.push({ role: 'assistant', content: text, toolCalls });
    for (const call of calls) messages.push({ role: 'tool', toolCallId: call.id, content: call.output ?? NO_RESULT });
    text = '';
    calls = [];
  };
  for (const part of parts) {
    if (part.type === 'tool_call') calls.push(part.tool_call);
    else if (part.type === 'text') {
      if (calls.length > 0) flushCalls();
      text += part.text;
    }
  }
  if (calls.length > 0) flushCalls();
  if (text) messages.push({ role: 'assistant', content: text });
  return messages;
}
