import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolAttachment, ToolResult } from '../tool';

/** Characters of one text resource copied into what the model reads (the attachment has more). */
const RESOURCE_TEXT_IN_OUTPUT = 8_000;
/** Characters of one text resource kept in its attachment, which is stored with the message. */
const RESOURCE_TEXT_IN_ATTACHMENT = 100_000;

/** `callTool`'s answer: today's result, or the `toolResult` of servers on the 2024-10-07 protocol. */
export type McpCallAnswer = CallToolResult | { toolResult: unknown };

type ContentPart = CallToolResult['content'][number];

/**
 * An MCP tool result as the run loop takes it: the text parts are what the model reads; images and
 * resources become attachments for the user, with a short note in the text so the model knows they
 * were there; structured content stands in for the text when a tool sent no text.
 */
export function toToolResult(answer: McpCallAnswer): ToolResult {
  if (!('content' in answer)) return { output: JSON.stringify(answer.toolResult ?? null) };
  const texts: string[] = [];
  const attachments: ToolAttachment[] = [];
  for (const part of answer.content) {
    const { text, attachment } = mapPart(part);
    if (text) texts.push(text);
    if (attachment) attachments.push(attachment);
  }
  const hasText = answer.content.some((part) => part.type === 'text');
  if (!hasText && answer.structuredContent !== undefined) texts.unshift(JSON.stringify(answer.structuredContent));
  return {
    output: texts.length > 0 ? texts.join('\n') : '(the tool returned no content)',
    ...(answer.isError ? { isError: true } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

function mapPart(part: ContentPart): { text?: string; attachment?: ToolAttachment } {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image':
      return {
        text: `[image: ${part.mimeType}]`,
        attachment: { type: 'image', mimeType: part.mimeType, data: part.data },
      };
    case 'audio':
      // No attachment kind carries audio yet: the model at least learns that the tool sent some.
      return { text: `[audio: ${part.mimeType}, not shown]` };
    case 'resource_link':
      return {
        text: `[resource: ${part.name} ${part.uri}]`,
        attachment: {
          type: 'resource',
          uri: part.uri,
          name: part.name,
          ...(part.mimeType ? { mimeType: part.mimeType } : {}),
        },
      };
    case 'resource':
      return embeddedResource(part.resource);
  }
}

/** A text resource is also read by the model (bounded); a binary one is only named. */
function embeddedResource(resource: Extract<ContentPart, { type: 'resource' }>['resource']): {
  text: string;
  attachment: ToolAttachment;
} {
  const mime = resource.mimeType ? { mimeType: resource.mimeType } : {};
  if ('text' in resource) {
    return {
      text: `[resource: ${resource.uri}]\n${bounded(resource.text, RESOURCE_TEXT_IN_OUTPUT)}`,
      attachment: {
        type: 'resource',
        uri: resource.uri,
        ...mime,
        text: bounded(resource.text, RESOURCE_TEXT_IN_ATTACHMENT),
      },
    };
  }
  return {
    text: `[resource: ${resource.uri}${resource.mimeType ? ` (${resource.mimeType})` : ''}]`,
    attachment: { type: 'resource', uri: resource.uri, ...mime },
  };
}

/** `text` cut to `max` characters, saying so where it was cut. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more characters cut]`;
}
