import type { ChatMessageDto, ConversationDto } from './dto/conversation.dto';
import type { ContentPart } from './message.entity';

/** Characters of a tool call's output a Markdown export shows; the JSON export has all of it. */
export const MARKDOWN_TOOL_OUTPUT_CHARS = 2000;
/** Characters of a conversation's title kept in an export's file name. */
const FILENAME_TITLE_CHARS = 100;

/**
 * The file name of an export: the title without what a file system or a header could trip on
 * (path separators, reserved characters, control and direction-override characters), at most 100
 * characters, `conversation` when nothing is left, and the format's extension.
 */
export function exportFilename(title: string, extension: 'json' | 'md'): string {
  const safe = Array.from(
    title
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
      .replace(/[\\/:*?"<>|]/g, '-')
      .replace(/\s+/g, ' ')
      .trim(),
  )
    .slice(0, FILENAME_TITLE_CHARS)
    .join('')
    .replace(/^[.\s-]+|[.\s]+$/g, '');
  return `${safe || 'conversation'}.${extension}`;
}

/**
 * An answer's content once its user replaced its text: every text part goes, and the new text
 * takes the place of the last one — after the tool calls the text followed, where the answer's
 * final words were — or ends the content when there was none. Reasoning and tool calls stay.
 */
export function editedContent(content: readonly ContentPart[], text: string): ContentPart[] {
  const lastText = content.map((part) => part.type).lastIndexOf('text');
  const replacement: ContentPart = { type: 'text', text };
  if (lastText === -1) return [...content, replacement];
  return content.flatMap((part, i): ContentPart[] =>
    i === lastText ? [replacement] : part.type === 'text' ? [] : [part],
  );
}

/**
 * A conversation as a Markdown document: its title, a few facts, then its messages thread by
 * thread in tree order. A thread starts at a message without a parent, or at a reply to a message
 * that has several; it follows the only reply of each message until a message has none or several.
 * Threads are numbered by their place in the tree: the roots `1`, `2`…, the replies that branch off
 * the end of thread `1` `1.1`, `1.2`… (oldest first), and each thread is followed by its branches,
 * depth first, before the next one. A conversation that never branched is one thread.
 */
export function conversationMarkdown(
  conversation: ConversationDto,
  messages: readonly ChatMessageDto[],
  exportedAt: Date,
): string {
  const byId = new Map(messages.map((m) => [m.messageId, m]));
  const replies = new Map<string | null, ChatMessageDto[]>();
  for (const message of messages) {
    // A parent that is not in the conversation (none should be) makes the message a root.
    const parent =
      message.parentMessageId !== null && byId.has(message.parentMessageId) ? message.parentMessageId : null;
    const list = replies.get(parent) ?? [];
    list.push(message);
    replies.set(parent, list);
  }
  const repliesTo = (id: string | null) => replies.get(id) ?? [];

  const out: string[] = [
    `# ${oneLine(conversation.title) || 'Conversation'}`,
    '',
    `- Conversation: \`${conversation.conversationId}\``,
    `- Agent: \`${conversation.agent_id}\``,
    `- Created: ${conversation.createdAt}`,
    `- Last message: ${conversation.updatedAt}`,
    `- Exported: ${exportedAt.toISOString()}`,
    `- Messages: ${messages.length}`,
  ];
  const roots = repliesTo(null);
  const single = roots.length === 1 && messages.every((m) => repliesTo(m.messageId).length <= 1);

  const writeThread = (first: ChatMessageDto, label: string, branchOf?: { label: string; after: ChatMessageDto }) => {
    out.push('', single ? '## Messages' : `## Thread ${label}`);
    if (branchOf) {
      out.push(
        '',
        `_Branches off thread ${branchOf.label} after the message of ${oneLine(branchOf.after.sender)} at ${branchOf.after.createdAt}._`,
      );
    }
    let message = first;
    for (;;) {
      out.push('', ...messageMarkdown(message));
      const next = repliesTo(message.messageId);
      if (next.length === 1) {
        message = next[0];
        continue;
      }
      const end = message;
      next.forEach((reply, i) => writeThread(reply, `${label}.${i + 1}`, { label, after: end }));
      return;
    }
  };
  roots.forEach((root, i) => writeThread(root, String(i + 1)));
  if (messages.length === 0) out.push('', '_No messages._');
  return `${out.join('\n')}\n`;
}

function messageMarkdown(message: ChatMessageDto): string[] {
  const facts = [
    message.createdAt,
    ...(message.isCreatedByUser || message.model === null ? [] : [message.model]),
    ...(message.edited ? ['edited'] : []),
    ...(message.error ? ['failed'] : message.unfinished ? ['unfinished'] : []),
  ];
  const lines = [
    `### ${oneLine(message.sender) || (message.isCreatedByUser ? 'User' : 'Agent')} · ${facts.join(' · ')}`,
  ];
  const body =
    message.isCreatedByUser || message.content.length === 0 ? textBody(message.text) : contentBody(message.content);
  lines.push('', ...(body.length > 0 ? body : ['_(no text)_']));
  if (message.files.length > 0) {
    lines.push('', `_Attached: ${message.files.map((f) => oneLine(f.filename)).join(', ')}_`);
  }
  const sources = message.attachments.flatMap((a) => a.citations ?? []);
  if (sources.length > 0) {
    lines.push('', 'Sources:', '');
    for (const source of sources) {
      const title = oneLine(source.title) || source.url;
      lines.push(`${source.index}. ${source.url ? `[${title}](<${source.url}>)` : title}`);
    }
  }
  return lines;
}

function textBody(text: string): string[] {
  return text === '' ? [] : [text];
}

function contentBody(content: readonly ContentPart[]): string[] {
  const lines: string[] = [];
  for (const part of content) {
    if (lines.length > 0) lines.push('');
    switch (part.type) {
      case 'text':
        if (part.text === '') lines.pop();
        else lines.push(part.text);
        break;
      case 'think':
        lines.push('> **Reasoning**', '>', ...part.think.split('\n').map((line) => `> ${line}`.trimEnd()));
        break;
      case 'tool_call': {
        const call = part.tool_call;
        lines.push(`**Tool call** ${code(call.name)}`, '', fenced(call.args || '{}'));
        if (call.output !== undefined) {
          const cut = call.output.length > MARKDOWN_TOOL_OUTPUT_CHARS;
          const output = cut ? `${call.output.slice(0, MARKDOWN_TOOL_OUTPUT_CHARS)}…` : call.output;
          lines.push('', 'Result:', '', fenced(output));
          if (cut)
            lines.push('', `_Result cut at ${MARKDOWN_TOOL_OUTPUT_CHARS} characters; the JSON export has all of it._`);
        }
        break;
      }
    }
  }
  return lines;
}

/** Text on one line (titles, names): line breaks and runs of spaces become one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Inline code that holds any text: the fence is longer than the longest run of backticks inside. */
function code(text: string): string {
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${oneLine(text)}${pad}${fence}`;
}

/** A fenced block that holds any text, backtick fences inside included. */
function fenced(text: string): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${fence}\n${text}\n${fence}`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
