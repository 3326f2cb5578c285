import { MAX_IMAGE_BYTES, type ChatFileRow } from '@agents/chat';
import type { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { MAX_INPUT_IMAGES, imageFromUrl, inputFileText } from './input-files';
import { OpenAIError } from './openai-error';
import { completionInputFrom, conversationFrom, resolveInputFiles, responseInputFrom } from './request-mapping';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const pngUrl = `data:image/png;base64,${PNG.toString('base64')}`;

function rejection(work: () => unknown): OpenAIError {
  try {
    work();
  } catch (err) {
    if (err instanceof OpenAIError) return err;
    throw err;
  }
  throw new Error('expected an OpenAIError');
}

async function rejectionOf(work: () => Promise<unknown>): Promise<OpenAIError> {
  try {
    await work();
  } catch (err) {
    if (err instanceof OpenAIError) return err;
    throw err;
  }
  throw new Error('expected an OpenAIError');
}

describe('imageFromUrl', () => {
  it('takes a base64 data: URL of a PNG, JPEG, GIF or WebP, typed by its bytes', () => {
    expect(imageFromUrl(pngUrl, 'p')).toEqual({ mimeType: 'image/png', data: PNG.toString('base64') });
    // A JPEG declared as a PNG is sent as what it is.
    expect(imageFromUrl(`data:image/png;base64,${JPEG.toString('base64')}`, 'p')).toEqual({
      mimeType: 'image/jpeg',
      data: JPEG.toString('base64'),
    });
  });

  it.each([
    ['https://example.com/cat.png', 'image URLs are not fetched'],
    ['http://169.254.169.254/latest', 'image URLs are not fetched'],
    ['file:///etc/passwd', 'only base64 data: URLs'],
    ['data:image/png,rawbytes', 'a base64 data: URL'],
    ['data:image/svg+xml;base64,PHN2Zz4=', 'the image must be one of'],
    [`data:image/png;base64,${Buffer.from('GIF? no: text').toString('base64')}`, 'the data is not an image'],
    ['data:image/png;base64,***', 'not valid base64'],
  ])('refuses %s with a 400 invalid_value naming the parameter', (url, message) => {
    const error = rejection(() => imageFromUrl(url, 'messages[0].content[1].image_url.url'));
    expect(error.toBody().error).toMatchObject({
      code: 'invalid_value',
      param: 'messages[0].content[1].image_url.url',
      type: 'invalid_request_error',
    });
    expect(error.message).toContain(message);
  });

  it('refuses an image over the size bound before decoding it', () => {
    const big = Buffer.alloc(MAX_IMAGE_BYTES + 1);
    PNG.copy(big);
    expect(rejection(() => imageFromUrl(`data:image/png;base64,${big.toString('base64')}`, 'p')).message).toContain(
      `over ${MAX_IMAGE_BYTES} bytes`,
    );
  });
});

describe('inputFileText', () => {
  it('fences UTF-8 text under its name, and refuses PDFs and binary as unsupported', () => {
    expect(inputFileText(Buffer.from('a,b\n1,2'), 'data.csv', 'p')).toBe(
      'Attached file "data.csv":\n```\na,b\n1,2\n```',
    );
    expect(rejection(() => inputFileText(Buffer.from('%PDF-1.7 ...'), 'a.pdf', 'p')).toBody().error).toMatchObject({
      code: 'unsupported_parameter',
      param: 'p',
    });
    expect(rejection(() => inputFileText(PNG, 'a.png', 'p')).toBody().error.code).toBe('unsupported_parameter');
  });
});

describe('chat completions with images', () => {
  const request = (content: unknown): ChatCompletionRequestDto =>
    ({ model: 'agent_x', messages: [{ role: 'user', content }] }) as ChatCompletionRequestDto;

  it('maps image_url parts of a user message to its images, after its text', () => {
    const input = completionInputFrom(
      request([
        { type: 'text', text: 'What is it?' },
        { type: 'image_url', image_url: { url: pngUrl, detail: 'low' } },
      ]),
    );
    expect(input.messages).toEqual([
      { role: 'user', content: 'What is it?', images: [{ mimeType: 'image/png', data: PNG.toString('base64') }] },
    ]);
  });

  it('names the bad field of an image part, and the image over the per-request bound', () => {
    expect(
      rejection(() => completionInputFrom(request([{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }])))
        .param,
    ).toBe('messages[0].content[0].image_url.url');
    expect(
      rejection(() =>
        completionInputFrom(request([{ type: 'image_url', image_url: { url: pngUrl, size: 1 } }])),
      ).toBody().error,
    ).toMatchObject({ code: 'unknown_parameter', param: 'messages[0].content[0].image_url.size' });
    expect(
      rejection(() => completionInputFrom(request([{ type: 'image_url', image_url: { url: pngUrl, detail: 'max' } }])))
        .param,
    ).toBe('messages[0].content[0].image_url.detail');
    const many = Array.from({ length: MAX_INPUT_IMAGES + 1 }, () => ({
      type: 'image_url',
      image_url: { url: pngUrl },
    }));
    expect(rejection(() => completionInputFrom(request(many))).param).toBe(
      `messages[0].content[${MAX_INPUT_IMAGES}].image_url`,
    );
  });
});

describe('Responses input_image and input_file', () => {
  const file = (id: string, mimeType: string, bytes: number, userId = 'u1'): ChatFileRow => ({
    id,
    userId,
    filename: `${id}.bin`,
    mimeType,
    bytes,
    purpose: 'user_data',
    conversationId: null,
    status: 'ready',
  });
  const stored = new Map<string, Buffer>([
    ['11111111-1111-4111-8111-111111111111', PNG],
    ['22222222-2222-4222-8222-222222222222', Buffer.from('hello')],
  ]);
  const files = {
    owned: jest.fn((userId: string, ids: readonly string[]) =>
      Promise.resolve(
        [
          file('11111111-1111-4111-8111-111111111111', 'image/png', PNG.length),
          file('22222222-2222-4222-8222-222222222222', 'text/plain', 5),
        ].filter((f) => f.userId === userId && ids.includes(f.id)),
      ),
    ),
    content: jest.fn((id: string) => Promise.resolve(stored.get(id) ?? null)),
  };

  it('maps an input_image data URL and an inline input_file into the user message', () => {
    const entries = responseInputFrom([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Compare' },
          { type: 'input_image', image_url: pngUrl, detail: 'auto' },
          {
            type: 'input_file',
            filename: 'n.txt',
            file_data: `data:text/plain;base64,${Buffer.from('hi').toString('base64')}`,
          },
        ],
      },
    ]);
    expect(conversationFrom(entries, new Map()).messages).toEqual([
      {
        role: 'user',
        content: 'Compare\n\nAttached file "n.txt":\n```\nhi\n```',
        images: [{ mimeType: 'image/png', data: PNG.toString('base64') }],
      },
    ]);
  });

  it('refuses images and files outside user messages, remote URLs, file_url and inline PDFs', () => {
    expect(
      rejection(() =>
        responseInputFrom([{ role: 'assistant', content: [{ type: 'input_image', image_url: pngUrl }] }]),
      ).toBody().error,
    ).toMatchObject({ code: 'unsupported_parameter', param: 'input[0].content[0].type' });
    expect(
      rejection(() =>
        responseInputFrom([{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x.test/a.png' }] }]),
      ).toBody().error,
    ).toMatchObject({ code: 'invalid_value', param: 'input[0].content[0].image_url' });
    expect(
      rejection(() =>
        responseInputFrom([{ role: 'user', content: [{ type: 'input_file', file_url: 'https://x.test/a.pdf' }] }]),
      ).toBody().error,
    ).toMatchObject({ code: 'unsupported_parameter', param: 'input[0].content[0].file_url' });
    const pdf = Buffer.from('%PDF-1.7\n...').toString('base64');
    expect(
      rejection(() =>
        responseInputFrom([{ role: 'user', content: [{ type: 'input_file', filename: 'a.pdf', file_data: pdf }] }]),
      ).toBody().error,
    ).toMatchObject({ code: 'unsupported_parameter', param: 'input[0].content[0].file_data' });
  });

  it('resolves file ids of the caller’s own files, and names any other', async () => {
    const entries = responseInputFrom([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'See' },
          { type: 'input_image', file_id: '11111111-1111-4111-8111-111111111111' },
          { type: 'input_file', file_id: '22222222-2222-4222-8222-222222222222' },
        ],
      },
    ]);
    const resolved = await resolveInputFiles(entries, 'u1', files);
    expect(conversationFrom(resolved, new Map()).messages).toEqual([
      {
        role: 'user',
        content: 'See\n\nAttached file "22222222-2222-4222-8222-222222222222.bin":\n```\nhello\n```',
        images: [{ mimeType: 'image/png', data: PNG.toString('base64') }],
      },
    ]);
    const stranger = await rejectionOf(() => resolveInputFiles(entries, 'u2', files));
    expect(stranger.toBody().error).toMatchObject({ code: 'invalid_value', param: 'input[0].content[1].file_id' });
    const textAsImage = responseInputFrom([
      { role: 'user', content: [{ type: 'input_image', file_id: '22222222-2222-4222-8222-222222222222' }] },
    ]);
    expect((await rejectionOf(() => resolveInputFiles(textAsImage, 'u1', files))).message).toContain(
      'not a PNG, JPEG, GIF or WebP image',
    );
  });
});
