import { inflateSync } from 'node:zlib';
import { FAKE_PNG, startFakeOpenAI, type FakeOpenAI } from '@agents/testing/fake-openai';
import type { ToolCallContext, ToolFileRef, ToolFiles } from '../tool';
import { ImageGenerationTool, mimeTypeOf } from './image-generation.tool';

const API_KEY = 'sk-test-image-key-0123456789';

/** The files side of a call, kept in memory: what the tool saved, by id. */
class MemoryFiles implements ToolFiles {
  readonly saved = new Map<string, { ref: ToolFileRef; data: Buffer }>();

  list(): Promise<ToolFileRef[]> {
    return Promise.resolve([...this.saved.values()].map((file) => file.ref));
  }

  read(fileId: string): Promise<Buffer> {
    const file = this.saved.get(fileId);
    return file ? Promise.resolve(file.data) : Promise.reject(new Error(`no file ${fileId}`));
  }

  search(): Promise<never[]> {
    return Promise.resolve([]);
  }

  save(file: { filename: string; mimeType: string; data: Buffer }): Promise<ToolFileRef> {
    const ref = {
      id: `file_${this.saved.size + 1}`,
      filename: file.filename,
      mimeType: file.mimeType,
      bytes: file.data.length,
    };
    this.saved.set(ref.id, { ref, data: file.data });
    return Promise.resolve(ref);
  }
}

function contextWith(
  files: ToolFiles | undefined,
  signal: AbortSignal = new AbortController().signal,
): ToolCallContext {
  return {
    signal,
    userId: 'u1',
    agentId: 'a1',
    conversationId: 'c1',
    messageId: 'm1',
    toolCallId: 'call_1',
    ...(files ? { files } : {}),
  };
}

/** The image tool against the OpenAI stand-in (a real HTTP server), through the official SDK. */
describe('ImageGenerationTool', () => {
  let fake: FakeOpenAI;
  let files: MemoryFiles;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    files = new MemoryFiles();
  });

  const tool = (model = 'gpt-image-1', timeoutMs?: number): ImageGenerationTool =>
    new ImageGenerationTool({ apiKey: API_KEY, baseURL: fake.baseURL }, model, timeoutMs ? { timeoutMs } : {});

  it('asks the Images API for one image and stores the PNG it answers as the user’s file', async () => {
    fake.scriptImages({ revisedPrompt: 'A red square, flat colour', size: '1024x1536', quality: 'high' });

    const result = await tool().call(
      { prompt: '  a red square  ', size: '1024x1536', quality: 'high' },
      contextWith(files),
    );

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.path).toBe('/v1/images/generations');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body).toEqual({
      model: 'gpt-image-1',
      prompt: 'a red square',
      size: '1024x1536',
      quality: 'high',
      n: 1,
    });

    expect(files.saved.size).toBe(1);
    const [{ ref, data }] = [...files.saved.values()];
    expect(data.equals(FAKE_PNG)).toBe(true);
    expect(ref).toMatchObject({ mimeType: 'image/png', bytes: FAKE_PNG.length });
    expect(ref.filename).toMatch(/^image-[0-9a-f]{8}\.png$/);
    // A real PNG: its IDAT inflates to 8 rows of a filter byte and 8 RGB pixels.
    expect(inflateSync(data.subarray(41, data.length - 16)).length).toBe(8 * (1 + 8 * 3));

    expect(result.isError).toBeUndefined();
    expect(result.output).toBe(
      `Generated an image (1024x1536, high quality): ${ref.filename}. It is shown to the user.\n` +
        'Revised prompt: A red square, flat colour',
    );
    expect(result.attachments).toEqual([
      { type: 'file', fileId: ref.id, filename: ref.filename, mimeType: 'image/png', bytes: FAKE_PNG.length },
    ]);
  });

  it('sends no size or quality the model did not ask for', async () => {
    const result = await tool().call({ prompt: 'a cat' }, contextWith(files));
    expect(fake.requests[0].body).toEqual({ model: 'gpt-image-1', prompt: 'a cat', n: 1 });
    expect(result.output).toMatch(/^Generated an image: image-[0-9a-f]{8}\.png\. It is shown to the user\.$/);
  });

  it('asks DALL·E 3 for base64 in its own sizes and qualities', async () => {
    await tool('dall-e-3').call({ prompt: 'a cat', size: '1536x1024', quality: 'high' }, contextWith(files));
    expect(fake.requests[0].body).toEqual({
      model: 'dall-e-3',
      prompt: 'a cat',
      n: 1,
      response_format: 'b64_json',
      size: '1792x1024',
      quality: 'hd',
    });
    expect(files.saved.size).toBe(1);
  });

  it('stores a JPEG as a JPEG', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    fake.scriptImages({ b64Json: jpeg.toString('base64') });
    const result = await tool().call({ prompt: 'a cat' }, contextWith(files));
    expect(result.attachments?.[0]).toMatchObject({
      mimeType: 'image/jpeg',
      filename: expect.stringMatching(/\.jpg$/),
    });
  });

  it.each([
    ['an empty prompt', { prompt: '' }, /"prompt" must be a non-empty string/],
    ['a prompt too long', { prompt: 'x'.repeat(4001) }, /4001 characters long; the limit is 4000/],
    [
      'an unknown size',
      { prompt: 'a cat', size: '800x600' },
      /"size" must be one of 1024x1024, 1536x1024, 1024x1536, auto/,
    ],
    ['an unknown quality', { prompt: 'a cat', quality: 'ultra' }, /"quality" must be one of low, medium, high, auto/],
  ])('refuses %s without calling the API', async (_name, args, message) => {
    const result = await tool().call(args, contextWith(files));
    expect(result).toMatchObject({ isError: true, output: expect.stringMatching(message) });
    expect(fake.requests).toHaveLength(0);
  });

  it('fails without calling the API where files are not available', async () => {
    const result = await tool().call({ prompt: 'a cat' }, contextWith(undefined));
    expect(result).toMatchObject({ isError: true, output: expect.stringContaining('files are not available here') });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [
      400,
      'Your request was rejected by the safety system.',
      /answered 400: Your request was rejected by the safety system\./,
    ],
    [500, 'The server had an error', /answered 500: The server had an error/],
    [401, `Incorrect API key provided: sk-test-***6789. Or ${API_KEY}.`, /answered 401: the API key was refused/],
    [429, `Rate limit for ${API_KEY} (sk-abc***xyz)`, /answered 429: Rate limit for \[redacted\] \(\[redacted\]\)/],
  ])(
    'reports a %i from the API as an error result naming the status, never the key',
    async (status, message, expected) => {
      fake.scriptImages({ fail: { status, message } });
      const result = await tool().call({ prompt: 'a cat' }, contextWith(files));
      expect(result).toMatchObject({ isError: true, output: expect.stringMatching(expected) });
      expect(result.output).not.toContain(API_KEY);
      expect(result.output).not.toContain('sk-');
      expect(fake.requests).toHaveLength(1); // no retry
      expect(files.saved.size).toBe(0);
    },
  );

  it.each([
    [
      'data that is not an image',
      { b64Json: Buffer.from('<html>not an image</html>').toString('base64') },
      /not a PNG, JPEG or WebP image/,
    ],
    ['data that is not base64', { b64Json: '*** not base64 ***' }, /not base64/],
    ['no image', { noData: true }, /answered without an image/],
    ['a URL that is not https', { url: 'http://example.com/image.png' }, /image URL that is not https/],
  ])('reports an answer with %s as an error result and stores nothing', async (_name, script, expected) => {
    fake.scriptImages(script);
    const result = await tool().call({ prompt: 'a cat' }, contextWith(files));
    expect(result).toMatchObject({ isError: true, output: expect.stringMatching(expected) });
    expect(files.saved.size).toBe(0);
  });

  it('rejects promptly with the signal’s reason when the call is aborted, hanging up on the API', async () => {
    fake.scriptImages({ hang: true });
    const controller = new AbortController();
    const call = tool().call({ prompt: 'a cat' }, contextWith(files, controller.signal));
    while (fake.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const reason = new Error('user aborted');
    const started = Date.now();
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(500);
    await fake.requests[0].clientClosed;
    expect(files.saved.size).toBe(0);
  });

  it('fails with an error result when the API does not answer in time', async () => {
    fake.scriptImages({ hang: true });
    const result = await tool('gpt-image-1', 200).call({ prompt: 'a cat' }, contextWith(files));
    expect(result).toMatchObject({ isError: true, output: expect.stringContaining('did not answer within 0.2 s') });
  });

  it('sends no Authorization header to a keyless endpoint', async () => {
    await new ImageGenerationTool({ baseURL: fake.baseURL }, 'local-image-model').call(
      { prompt: 'a cat' },
      contextWith(files),
    );
    expect(fake.requests[0].headers.authorization).toBeUndefined();
  });

  it('tells PNG, JPEG and WebP by their magic bytes', () => {
    expect(mimeTypeOf(FAKE_PNG)).toBe('image/png');
    expect(mimeTypeOf(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(mimeTypeOf(Buffer.from([0xff, 0xd8, 0xff]))).toBe('image/jpeg');
    expect(mimeTypeOf(Buffer.from('GIF89a', 'latin1'))).toBeUndefined();
  });
});
