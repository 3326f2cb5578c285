import type { ChatImage, ChatMessage } from '@agents/providers';
import type { MessageFileRef } from './message.entity';

/*
 * How files reach the model with a user's message: images as image parts, small text files inlined
 * into the text, anything else named so the model knows it is there (the conversation's tools —
 * file_search, code_interpreter — read it). Shared by chat's worker history and the
 * OpenAI-compatible API's inputs, so both give the model the same thing for the same file.
 */

/** The image types every vision model takes. */
export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageMimeType = (typeof IMAGE_MIME_TYPES)[number];

/** The largest image given to a model, decoded (OpenAI's own limit is 20 MB; Anthropic's 5 MB). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** The most images one message carries (and the most a thread's history carries in all). */
export const MAX_IMAGES_PER_MESSAGE = 10;

/** The longest text file inlined into a message; a longer one is left to file_search. */
export const MAX_INLINE_TEXT_CHARS = 8_000;

/** The type of an image by its first bytes (its magic number), or undefined when it is none of {@link IMAGE_MIME_TYPES}. */
export function sniffImageType(data: Uint8Array): ImageMimeType | undefined {
  const starts = (bytes: number[], at = 0): boolean =>
    data.length >= at + bytes.length && bytes.every((byte, i) => data[at + i] === byte);
  const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts(ascii('GIF87a')) || starts(ascii('GIF89a'))) return 'image/gif';
  if (starts(ascii('RIFF')) && starts(ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

export function isImageType(mimeType: string): mimeType is ImageMimeType {
  return IMAGE_MIME_TYPES.some((type) => type === baseType(mimeType));
}

/** Whether a file of this type is text a model can read as it is: `text/*` or JSON. */
export function isTextType(mimeType: string): boolean {
  const type = baseType(mimeType);
  return type.startsWith('text/') || type === 'application/json' || type.endsWith('+json');
}

function baseType(mimeType: string): string {
  return mimeType.split(';')[0].trim().toLowerCase();
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8 (or hold NUL bytes, as binary files do). */
export function decodeText(data: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
    return text.includes('\0') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** A file's text as a fenced block under its name; the fence is longer than any backtick run inside. */
export function fencedFile(filename: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `Attached file "${filename}":\n${fence}\n${text}\n${fence}`;
}

/** What the model is told of a file it is not shown. */
function fileNote(file: MessageFileRef, why: string): string {
  return `[Attached file "${file.filename}" (${file.type}, ${file.bytes} bytes): ${why}]`;
}

/** Reads a stored file's bytes; null when they cannot be read. */
export type FileReader = (fileId: string) => Promise<Buffer | null>;

/**
 * A user message with its attached files, as the model is given it: each image (a PNG, JPEG, GIF or
 * WebP of at most {@link MAX_IMAGE_BYTES}, checked by its bytes) as an image part, up to `maxImages`;
 * each text file of at most {@link MAX_INLINE_TEXT_CHARS} characters inlined after the text as a
 * fenced block; any other file named in a note, for the conversation's tools to read.
 */
export async function userMessageWithFiles(
  text: string,
  files: readonly MessageFileRef[],
  read: FileReader,
  maxImages: number = MAX_IMAGES_PER_MESSAGE,
): Promise<Extract<ChatMessage, { role: 'user' }>> {
  const images: ChatImage[] = [];
  const blocks: string[] = [];
  for (const file of files) {
    if (isImageType(file.type)) {
      if (file.bytes > MAX_IMAGE_BYTES) {
        blocks.push(fileNote(file, `an image over ${MAX_IMAGE_BYTES} bytes, not shown`));
        continue;
      }
      if (images.length >= maxImages) {
        blocks.push(fileNote(file, 'an image no longer shown'));
        continue;
      }
      const data = await read(file.file_id);
      const type = data && data.length <= MAX_IMAGE_BYTES ? sniffImageType(data) : undefined;
      if (data && type) images.push({ mimeType: type, data: data.toString('base64') });
      else blocks.push(fileNote(file, 'an image that could not be read'));
      continue;
    }
    // UTF-8 takes at most 4 bytes a character: a larger file cannot be short enough to inline.
    if (isTextType(file.type) && file.bytes <= MAX_INLINE_TEXT_CHARS * 4) {
      const data = await read(file.file_id);
      const content = data ? decodeText(data) : undefined;
      if (content !== undefined && content.length <= MAX_INLINE_TEXT_CHARS) {
        blocks.push(fencedFile(file.filename, content));
        continue;
      }
    }
    blocks.push(fileNote(file, "available to the conversation's tools"));
  }
  const content = [text, ...blocks].filter((part) => part.length > 0).join('\n\n');
  return images.length > 0 ? { role: 'user', content, images } : { role: 'user', content };
}
