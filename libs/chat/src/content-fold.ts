import type { ContentPart } from './message.entity';
import type { StreamAttachment, StreamPayload } from './stream-events';

/**
 * Folds a generation's stream events into the answer's content parts and attachments, the one way:
 * the worker builds the stored message with it as it publishes, and a resume snapshot (or the
 * storage of a dead worker's answer) rebuilds the same from the stream's log. What the database
 * holds, what `resume=true` draws and what a live client saw therefore cannot disagree.
 *
 * Text and reasoning deltas extend the last part when it is of their type, or open a new one; a
 * tool step opens a `tool_call` part where the model began the call, its argument fragments and
 * then its result fill that part in, whenever they come (the calls of one step finish in any order).
 */
export class ContentFold {
  readonly content: ContentPart[] = [];
  readonly attachments: StreamAttachment[] = [];
  /** Where each tool step's part is, by step id. */
  private readonly toolParts = new Map<string, Extract<ContentPart, { type: 'tool_call' }>>();

  apply(event: StreamPayload): void {
    switch (event.kind) {
      case 'message_delta':
        this.appendText('text', event.text);
        break;
      case 'reasoning_delta':
        this.appendText('think', event.text);
        break;
      case 'run_step':
        if (event.stepType === 'tool_calls' && event.toolCall) {
          const part: Extract<ContentPart, { type: 'tool_call' }> = {
            type: 'tool_call',
            tool_call: { id: event.toolCall.id, name: event.toolCall.name, args: '' },
          };
          this.toolParts.set(event.stepId, part);
          this.content.push(part);
        }
        break;
      case 'tool_call_delta': {
        const part = this.toolParts.get(event.stepId);
        if (part) for (const call of event.calls) part.tool_call.args += call.args;
        break;
      }
      case 'tool_result': {
        const part = this.toolParts.get(event.stepId);
        // A result whose step was never announced (a log older than tool steps) is appended.
        if (part) part.tool_call = { ...event.toolCall };
        else this.content.push({ type: 'tool_call', tool_call: { ...event.toolCall } });
        break;
      }
      case 'attachment':
        this.attachments.push(event.data);
        break;
      case 'created':
      case 'title':
      case 'final':
      case 'error':
        break;
    }
  }

  /** The answer's text: its text parts, in order. */
  get text(): string {
    return this.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  }

  /** Its reasoning: the think parts, in order. */
  get reasoning(): string {
    return this.content.map((part) => (part.type === 'think' ? part.think : '')).join('');
  }

  private appendText(type: 'text' | 'think', piece: string): void {
    const last = this.content[this.content.length - 1];
    if (last?.type === 'text' && type === 'text') last.text += piece;
    else if (last?.type === 'think' && type === 'think') last.think += piece;
    else this.content.push(type === 'text' ? { type, text: piece } : { type, think: piece });
  }
}
