import type { ContentPart } from '@agents/chat';
import type { ChatMessage, ChatToolCall } from '@agents/providers';

/*
 * How an answer that used server-side tools reads as conversation history: as the model made it,
 * an assistant turn with its tool calls, the calls' results as `tool` messages, and the text that
 * followed as the next assistant turn. Both a stored response (continued with
 * `previous_response_id`) and the `mcp_call` items a client sends back become history this way.
 */

/**
 * Appends one finished call and its result. A call right after an assistant's text, or after the
 * results of calls of the same assistant turn, joins that turn (the model made them together);
 * otherwise it opens a new assistant turn with no text.
 */
export function appendToolCall(messages: ChatMessage[], call: ChatToolCall, output: string): void {
  let at = messages.length - 1;
  while (at >= 0 && messages[at].role === 'tool') at -= 1;
  const turn = messages[at];
  const joins = turn?.role === 'assistant' && (at === messages.length - 1 ? !turn.toolCalls : !!turn.toolCalls);
  if (joins && turn.role === 'assistant') turn.toolCalls = [...(turn.toolCalls ?? []), call];
  else messages.push({ role: 'assistant', content: '', toolCalls: [call] });
  messages.push({ role: 'tool', content: output, toolCallId: call.id });
}

/**
 * An answer's content parts as history. Reasoning is left out, and so is a call without a result
 * (the run ended first): a provider refuses a call that no result answers. An answer with nothing
 * in it is still the assistant's (empty) turn.
 */
export function historyOfAnswer(content: readonly ContentPart[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      const last = messages.at(-1);
      if (last?.role === 'assistant' && !last.toolCalls) last.content += part.text;
      else messages.push({ role: 'assistant', content: part.text });
    } else if (part.type === 'tool_call' && part.tool_call.output !== undefined) {
      const { id, name, args, output } = part.tool_call;
      appendToolCall(messages, { id, name, arguments: args }, output);
    }
  }
  return messages.length > 0 ? messages : [{ role: 'assistant', content: '' }];
}
