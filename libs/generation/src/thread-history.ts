import type { ChatMessage, ChatToolCall } from '@agents/providers';
import {
  MAX_IMAGES_PER_MESSAGE,
  userMessageWithFiles,
  type ContentPart,
  type FileReader,
  type MessageFileRef,
} from '@agents/chat';

/** What history needs of a stored message. */
export interface StoredTurn {
  isCreatedByUser: boolean;
  text: string;
  content: ContentPart[] | null;
  /** The files the user attached (user messages). */
  files?: MessageFileRef[] | null;
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

/**
 * {@link threadHistory} with the files the user attached to its messages, read through `read`:
 * images as image parts, small text files inlined (see userMessageWithFiles). The images of the
 * newest messages come first: a thread carries {@link MAX_IMAGES_PER_MESSAGE} in all, and older
 * ones are only named, so a long thread never loads every image it ever had.
 */
export async function threadHistoryWithFiles(turns: readonly StoredTurn[], read: FileReader): Promise<ChatMessage[]> {
  const withFiles = new Map<number, ChatMessage>();
  let images = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i];
    if (!turn.isCreatedByUser || !turn.files || turn.files.length === 0) continue;
    const message = await userMessageWithFiles(turn.text, turn.files, read, MAX_IMAGES_PER_MESSAGE - images);
    images += message.images?.length ?? 0;
    withFiles.set(i, message);
  }
  return turns.flatMap((turn, i) => {
    const message = withFiles.get(i);
    return message ? [message] : threadHistory([turn]);
  });
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
