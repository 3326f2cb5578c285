import { randomBytes } from 'node:crypto';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ImageGenerateParamsNonStreaming, ImagesResponse } from 'openai/resources/images';
import type { ServerTool, ToolCallContext, ToolResult } from '../tool';

/** Where the image API lives and the key it takes (AppConfig.openai); no key means a keyless endpoint. */
export interface ImageApiEndpoint {
  apiKey?: string;
  /** Undefined means OpenAI itself. */
  baseURL?: string;
}

export interface ImageGenerationOptions {
  /** How long one generation may take before the call fails (default 120 s: gpt-image models are slow). */
  timeoutMs?: number;
}

export const IMAGE_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto'] as const;
export const IMAGE_QUALITIES = ['low', 'medium', 'high', 'auto'] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];
export type ImageQuality = (typeof IMAGE_QUALITIES)[number];

/** The longest prompt sent on (DALL·E 3 takes 4000 characters; gpt-image models more). */
export const MAX_PROMPT_LENGTH = 4000;
/** The largest image accepted from the API (a 1536x1024 PNG of gpt-image-1 is a few MB). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const DEFAULT_TIMEOUT_MS = 120_000;
/** The run loop's own timeout for the call: ours, plus the time to store the image. */
const STORE_MARGIN_MS = 10_000;
const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The SDK refuses to start without a key; a keyless endpoint gets this and its header is removed. */
const NO_KEY = 'no-key';
/** An OpenAI key, whole or as its 401 message masks it (`sk-abc***xyz`). */
const KEY_PATTERN = /\bsk-[A-Za-z0-9_*-]{3,}/g;

/**
 * Generates an image with OpenAI's Images API (`POST /images/generations`, gpt-image or DALL·E)
 * through the official SDK, stores it as a file of the user's (attached to the conversation) and
 * hands the user that file. The model reads only a line saying the image was made.
 *
 * The id is LibreChat's (`dalle`), so agents made there enable it by the same name.
 */
export class ImageGenerationTool implements ServerTool {
  readonly id = 'dalle';
  readonly name = 'Image Generation';
  readonly description =
    'Generates an image from a text description and shows it to the user. Describe the subject, ' +
    'style, composition and colours in detail; the image is shown to the user, do not repeat it in text.';
  readonly source = 'builtin' as const;
  readonly parameters = {
    type: 'object',
    properties: {
      prompt: {
        type: 'string',
        maxLength: MAX_PROMPT_LENGTH,
        description: 'A detailed description of the image to generate',
      },
      size: {
        type: 'string',
        enum: [...IMAGE_SIZES],
        description: 'Square, landscape (1536x1024) or portrait (1024x1536); auto lets the model choose',
      },
      quality: { type: 'string', enum: [...IMAGE_QUALITIES], description: 'Higher quality takes longer' },
    },
    required: ['prompt'],
    additionalProperties: false,
  };
  readonly timeoutMs: number;

  private readonly client: OpenAI;
  private readonly secrets: string[];
  private readonly generationTimeoutMs: number;

  constructor(
    endpoint: ImageApiEndpoint,
    private readonly model: string,
    options: ImageGenerationOptions = {},
  ) {
    this.generationTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timeoutMs = this.generationTimeoutMs + STORE_MARGIN_MS;
    this.secrets = endpoint.apiKey ? [endpoint.apiKey] : [];
    // As the chat provider builds its client: every option the SDK would read from process.env is
    // given, and the SDK does not retry (a retried generation is paid twice).
    this.client = new OpenAI({
      apiKey: endpoint.apiKey || NO_KEY,
      baseURL: endpoint.baseURL ?? OPENAI_BASE_URL,
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      maxRetries: 0,
      logLevel: 'off',
      ...(endpoint.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
    });
  }

  /**
   * Bad arguments, a refusal or failure of the API, a timeout and an answer that is not an image
   * are error results; an aborted call rejects with the signal's reason.
   */
  async call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const request = requestOf(args);
    if (typeof request === 'string') return failure(request);
    const files = context.files;
    if (!files) return failure('image generation failed: files are not available here, so the image cannot be kept');
    context.signal.throwIfAborted();

    const timeout = AbortSignal.timeout(this.generationTimeoutMs);
    const signal = AbortSignal.any([context.signal, timeout]);
    let answer: ImagesResponse;
    let image: Buffer;
    try {
      answer = await this.client.images.generate(this.paramsOf(request), {
        signal,
        maxRetries: 0,
        // The signal fires first; this only bounds the SDK should it ever outlive it.
        timeout: this.generationTimeoutMs + 5_000,
      });
      image = await imageOf(answer, signal);
    } catch (error) {
      context.signal.throwIfAborted();
      if (timeout.aborted || error instanceof APIConnectionTimeoutError) {
        return failure(
          `image generation failed: the image API did not answer within ${this.generationTimeoutMs / 1000} s`,
        );
      }
      if (error instanceof InvalidImage) return failure(`image generation failed: ${error.message}`);
      if (error instanceof APIConnectionError) return failure('image generation failed: could not reach the image API');
      if (isAPIError(error)) return failure(this.redact(`image generation failed: ${apiErrorText(error)}`));
      throw error;
    }

    const mimeType = mimeTypeOf(image);
    if (!mimeType)
      return failure('image generation failed: the image API answered with data that is not a PNG, JPEG or WebP image');
    context.signal.throwIfAborted();
    const filename = `image-${randomBytes(4).toString('hex')}.${EXTENSIONS[mimeType]}`;
    const file = await files.save({ filename, mimeType, data: image });

    const settings = [answer.size ?? knownSetting(request.size), qualityText(answer.quality ?? request.quality)]
      .filter((part): part is string => part !== undefined)
      .join(', ');
    const revised = answer.data?.[0]?.revised_prompt;
    return {
      output: [
        `Generated an image${settings ? ` (${settings})` : ''}: ${file.filename}. It is shown to the user.`,
        ...(revised ? [`Revised prompt: ${revised}`] : []),
      ].join('\n'),
      attachments: [
        { type: 'file', fileId: file.id, filename: file.filename, mimeType: file.mimeType, bytes: file.bytes },
      ],
    };
  }

  /**
   * The request for this tool's model. gpt-image models (and compatible servers) take the arguments
   * as they are and always answer base64; DALL·E answers a URL unless asked for base64, and knows
   * other sizes and qualities.
   */
  private paramsOf(request: ImageRequest): ImageGenerateParamsNonStreaming {
    const base = { model: this.model, prompt: request.prompt, n: 1 };
    if (this.model === 'dall-e-2') {
      return { ...base, size: '1024x1024', response_format: 'b64_json' };
    }
    if (this.model.startsWith('dall-e')) {
      return {
        ...base,
        response_format: 'b64_json',
        ...(request.size && request.size !== 'auto' ? { size: DALL_E_3_SIZES[request.size] } : {}),
        ...(request.quality && request.quality !== 'auto'
          ? { quality: request.quality === 'high' ? 'hd' : 'standard' }
          : {}),
      };
    }
    return {
      ...base,
      ...(request.size ? { size: request.size } : {}),
      ...(request.quality ? { quality: request.quality } : {}),
    };
  }

  private redact(text: string): string {
    const masked = text.replace(KEY_PATTERN, '[redacted]');
    return this.secrets.reduce((out, secret) => out.replaceAll(secret, '[redacted]'), masked);
  }
}

interface ImageRequest {
  prompt: string;
  size?: ImageSize;
  quality?: ImageQuality;
}

/** The model's arguments, checked; a string says what is wrong with them. */
function requestOf(args: Record<string, unknown>): ImageRequest | string {
  const prompt = typeof args.prompt === 'string' ? args.prompt.trim() : '';
  if (!prompt) return 'the argument "prompt" must be a non-empty string describing the image';
  if (prompt.length > MAX_PROMPT_LENGTH) {
    return `the prompt is ${prompt.length} characters long; the limit is ${MAX_PROMPT_LENGTH}`;
  }
  const { size, quality } = args;
  if (size !== undefined && size !== null && !isOneOf(IMAGE_SIZES, size)) {
    return `the argument "size" must be one of ${IMAGE_SIZES.join(', ')}`;
  }
  if (quality !== undefined && quality !== null && !isOneOf(IMAGE_QUALITIES, quality)) {
    return `the argument "quality" must be one of ${IMAGE_QUALITIES.join(', ')}`;
  }
  return { prompt, ...(size ? { size } : {}), ...(quality ? { quality } : {}) };
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** DALL·E 3's landscape and portrait sizes for ours. */
const DALL_E_3_SIZES: Record<Exclude<ImageSize, 'auto'>, '1024x1024' | '1792x1024' | '1024x1792'> = {
  '1024x1024': '1024x1024',
  '1536x1024': '1792x1024',
  '1024x1536': '1024x1792',
};

/** An answer of the image API that holds no usable image. */
class InvalidImage extends Error {
  override readonly name = 'InvalidImage';
}

/** The image of the answer: its base64 data, or (a DALL·E answer without it) the https URL it names. */
async function imageOf(answer: ImagesResponse, signal: AbortSignal): Promise<Buffer> {
  const first = answer.data?.[0];
  if (!first) throw new InvalidImage('the image API answered without an image');
  if (typeof first.b64_json === 'string' && first.b64_json !== '') return decodeBase64(first.b64_json);
  if (typeof first.url === 'string' && first.url !== '') return download(first.url, signal);
  throw new InvalidImage('the image API answered without image data');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new InvalidImage('the image API answered with image data that is not base64');
  }
  if ((compact.length / 4) * 3 > MAX_IMAGE_BYTES + 2) throw new InvalidImage('the image is too large');
  return Buffer.from(compact, 'base64');
}

/** An image URL of the API's answer: https only, at most MAX_IMAGE_BYTES. */
async function download(url: string, signal: AbortSignal): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidImage('the image API answered with an invalid image URL');
  }
  if (parsed.protocol !== 'https:')
    throw new InvalidImage('the image API answered with an image URL that is not https');
  let response: Response;
  try {
    response = await fetch(parsed, { signal, redirect: 'error' });
  } catch (error) {
    signal.throwIfAborted();
    throw new InvalidImage(
      `the image could not be downloaded (${error instanceof Error ? error.message : 'network error'})`,
    );
  }
  if (!response.ok) throw new InvalidImage(`the image could not be downloaded (status ${response.status})`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_IMAGE_BYTES) throw new InvalidImage('the image is too large');
  const data = Buffer.from(await response.arrayBuffer());
  if (data.length > MAX_IMAGE_BYTES) throw new InvalidImage('the image is too large');
  return data;
}

type ImageMimeType = 'image/png' | 'image/jpeg' | 'image/webp';

const EXTENSIONS: Record<ImageMimeType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The type the image's first bytes (its magic number) say it is, if PNG, JPEG or WebP. */
export function mimeTypeOf(data: Buffer): ImageMimeType | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    return 'image/webp';
  }
  return undefined;
}

function knownSetting(value: string | undefined): string | undefined {
  return value && value !== 'auto' ? value : undefined;
}

function qualityText(quality: string | undefined): string | undefined {
  const known = knownSetting(quality);
  return known ? `${known} quality` : undefined;
}

/** The API's refusal in words: its status and its own message (a 401's names the key, so it is not repeated). */
function apiErrorText(error: APIError): string {
  if (error.status === undefined) return `the image API failed: ${error.message}`;
  if (error.status === 401) return 'the image API answered 401: the API key was refused';
  const body: unknown = error.error;
  const message =
    body && typeof body === 'object' && 'message' in body && typeof body.message === 'string' && body.message
      ? body.message
      : undefined;
  return `the image API answered ${error.status}${message ? `: ${message}` : ''}`;
}

/** `instanceof` alone would type the SDK error's generic parameters as `any`. */
function isAPIError(error: unknown): error is APIError {
  return error instanceof APIError;
}

function failure(reason: string): ToolResult {
  return { output: `Error: ${reason}`, isError: true };
}
