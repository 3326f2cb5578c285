import { IMAGE_MIME_TYPES, MAX_IMAGE_BYTES, decodeText, fencedFile, isImageType, sniffImageType } from '@agents/chat';
import type { ChatImage } from '@agents/providers';
import { MAX_MESSAGE_CHARS } from './dto/chat-completion-request.dto';
import { OpenAIError } from './openai-error';

/*
 * Images and files in OpenAI requests: given inline (base64 `data:` URLs, `file_data`), never
 * fetched from a URL — the server would otherwise fetch whatever a caller names, inside its network.
 */

/** The most images one request carries. */
export const MAX_INPUT_IMAGES = 10;

/** The longest text an `input_file` gives the model, in characters (a message's own bound). */
export const MAX_INPUT_FILE_CHARS = MAX_MESSAGE_CHARS;

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const IMAGE_TYPES = IMAGE_MIME_TYPES.join(', ');

const invalid = (param: string, message: string, code = 'invalid_value'): OpenAIError =>
  OpenAIError.invalidRequest(`Invalid value for '${param}': ${message}.`, param, code);

export const unsupported = (param: string, message: string): OpenAIError =>
  OpenAIError.invalidRequest(`Unsupported parameter: '${param}': ${message}.`, param, 'unsupported_parameter');

/** Decodes base64 of at most `maxBytes` bytes (checked before decoding), or a 400 naming `param`. */
function decodeBase64(base64: string, param: string, maxBytes: number): Buffer {
  const compact = base64.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64.test(compact) || compact.length % 4 === 1) {
    throw invalid(param, 'the data is not valid base64');
  }
  if (Math.floor((compact.length * 3) / 4) - (compact.match(/=/g)?.length ?? 0) > maxBytes) {
    throw invalid(param, `the data is over ${maxBytes} bytes`);
  }
  return Buffer.from(compact, 'base64');
}

/** A base64 `data:` URL's type (lowercase, '' when it names none) and bytes. */
function parseDataUrl(url: string, param: string, maxBytes: number): { mimeType: string; data: Buffer } {
  const match = DATA_URL.exec(url);
  if (!match || !match[2].toLowerCase().split(';').includes('base64')) {
    throw invalid(param, 'a base64 data: URL (data:<type>;base64,<data>)');
  }
  return { mimeType: match[1].trim().toLowerCase(), data: decodeBase64(url.slice(match[0].length), param, maxBytes) };
}

/**
 * An image given as a `data:` URL: a PNG, JPEG, GIF or WebP of at most MAX_IMAGE_BYTES, its type
 * checked against its bytes. A remote URL is a 400: the service never fetches one.
 */
export function imageFromUrl(url: unknown, param: string): ChatImage {
  if (typeof url !== 'string') {
    throw OpenAIError.invalidRequest(`Invalid type for '${param}': expected a string.`, param, 'invalid_type');
  }
  if (!/^data:/i.test(url)) {
    throw invalid(param, 'only base64 data: URLs are supported (data:image/png;base64,…); image URLs are not fetched');
  }
  const { mimeType, data } = parseDataUrl(url, param, MAX_IMAGE_BYTES);
  if (!isImageType(mimeType)) throw invalid(param, `the image must be one of ${IMAGE_TYPES}`);
  const actual = sniffImageType(data);
  if (!actual) throw invalid(param, `the data is not an image of type ${IMAGE_TYPES}`);
  return { mimeType: actual, data: data.toString('base64') };
}

/** Counts a request's images: the one over MAX_INPUT_IMAGES is a 400 naming it. */
export class ImageCount {
  private count = 0;

  add(param: string): void {
    this.count += 1;
    if (this.count > MAX_INPUT_IMAGES) throw invalid(param, `a request carries at most ${MAX_INPUT_IMAGES} images`);
  }
}

/**
 * A file's bytes as text for the model: a fenced block under its name. Only UTF-8 text of at most
 * MAX_INPUT_FILE_CHARS; a PDF or any other binary file is a 400 `unsupported_parameter`.
 */
export function inputFileText(data: Buffer, filename: string, param: string): string {
  const text = data.subarray(0, 5).toString('latin1') === '%PDF-' ? undefined : decodeText(data);
  if (text === undefined) {
    throw unsupported(param, 'only text files (UTF-8) are supported as input_file; PDFs and binary files are not');
  }
  if (text.length > MAX_INPUT_FILE_CHARS) {
    throw invalid(param, `the file's text is over ${MAX_INPUT_FILE_CHARS} characters`);
  }
  return fencedFile(filename, text);
}

/** `file_data`: a base64 `data:` URL (as OpenAI's SDKs send it) or bare base64, as bytes. */
export function fileDataBytes(fileData: unknown, param: string): Buffer {
  if (typeof fileData !== 'string') {
    throw OpenAIError.invalidRequest(`Invalid type for '${param}': expected a string.`, param, 'invalid_type');
  }
  // UTF-8 takes at most 4 bytes a character: larger data cannot be short enough.
  const maxBytes = MAX_INPUT_FILE_CHARS * 4;
  return /^data:/i.test(fileData)
    ? parseDataUrl(fileData, param, maxBytes).data
    : decodeBase64(fileData, param, maxBytes);
}
