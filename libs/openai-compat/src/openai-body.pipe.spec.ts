import { HttpException } from '@nestjs/common';
import { NotFoundError, TooManyRequestsError, UnauthenticatedError } from '@agents/core';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CreateResponseDto } from './dto/create-response.dto';
import { OpenAIBodyPipe } from './openai-body.pipe';
import { OpenAIError, formatOpenAIError } from './openai-error';
import {
  completionInputFrom,
  conversationFrom,
  responseInputFrom,
  storedItemEntries,
  type ResponseInputEntry,
} from './request-mapping';

const pipe = new OpenAIBodyPipe(ChatCompletionRequestDto);
const valid = { model: 'agent_x', messages: [{ role: 'user', content: 'Hi' }] };

function rejection(work: () => unknown): OpenAIError {
  try {
    work();
  } catch (err) {
    if (err instanceof OpenAIError) return err;
    throw err;
  }
  throw new Error('expected an OpenAIError');
}

describe('OpenAIBodyPipe', () => {
  it('accepts a valid request and keeps its values', () => {
    expect(pipe.transform({ ...valid, temperature: 0.5, n: 1, stream: true })).toMatchObject({
      temperature: 0.5,
      stream: true,
    });
  });

  it.each([
    [{ ...valid, foo: 1 }, 'foo', 'unknown_parameter', /Unrecognized request argument supplied: foo/],
    [{ ...valid, n: 3 }, 'n', 'unsupported_parameter', /only n = 1/],
    [{ ...valid, response_format: { type: 'json_object' } }, 'response_format', 'unsupported_parameter', /text/],
    [{ ...valid, logprobs: true }, 'logprobs', 'unsupported_parameter', /logprobs/],
    [{ ...valid, functions: [{ name: 'f' }] }, 'functions', 'unsupported_parameter', /client-side/],
    [{ ...valid, temperature: 2.5 }, 'temperature', 'invalid_value', /temperature must not be greater than 2/],
    [{ ...valid, max_tokens: 1.5 }, 'max_tokens', 'invalid_type', /max_tokens/],
    [{ model: 'agent_x' }, 'messages', 'missing_required_parameter', /Missing required parameter: 'messages'/],
    [{ ...valid, messages: [] }, 'messages', 'invalid_value', /messages/],
    [
      { ...valid, messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
      'invalid_value',
      /messages\[0\]\.role/,
    ],
    [{ ...valid, messages: [{ role: 'user', content: 7 }] }, 'messages[0].content', 'invalid_value', /content/],
    [
      { ...valid, messages: [{ role: 'user', content: 'x'.repeat(200_001) }] },
      'messages[0].content',
      'invalid_value',
      /200000/,
    ],
    [{ ...valid, stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage', 'invalid_type', /boolean/],
    [{ ...valid, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_value', /at most 4/],
  ])('rejects %j naming %s', (body, param, code, message) => {
    const error = rejection(() => pipe.transform(body));
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param, code });
    expect(error.message).toMatch(message);
  });

  it('rejects a body that is not an object', () => {
    expect(rejection(() => pipe.transform([valid]))).toMatchObject({ status: 400, param: null });
  });

  it('validates the Responses request too', () => {
    const responses = new OpenAIBodyPipe(CreateResponseDto);
    expect(responses.transform({ model: 'agent_x', input: 'Hi', text: { format: { type: 'text' } } })).toBeDefined();
    expect(
      rejection(() => responses.transform({ model: 'agent_x', input: 'Hi', tools: [{ type: 'web_search' }] })),
    ).toMatchObject({
      param: 'tools',
      code: 'unsupported_parameter',
    });
    expect(rejection(() => responses.transform({ model: 'agent_x' }))).toMatchObject({ param: 'input' });
  });
});

describe('request mapping', () => {
  it('appends system and developer text to the instructions and keeps the given overrides only', () => {
    const dto = pipe.transform({
      ...valid,
      messages: [
        { role: 'system', content: 'One.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi ' },
            { type: 'text', text: 'there' },
          ],
        },
        { role: 'developer', content: 'Two.' },
      ],
      max_tokens: 10,
      max_completion_tokens: 20,
      stop: 'END',
      temperature: null,
    });
    expect(completionInputFrom(dto)).toEqual({
      messages: [{ role: 'user', content: 'Hi there' }],
      extraInstructions: 'One.\n\nTwo.',
      overrides: { max_tokens: 20, stop: ['END'] },
    });
  });

  it('maps Responses input items and names the bad one', () => {
    const entries = responseInputFrom([
      { role: 'developer', content: 'Be formal.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] },
    ]);
    expect(conversationFrom(entries, new Map())).toEqual({
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi' },
      ],
      system: ['Be formal.'],
    });
    expect(
      rejection(() =>
        responseInputFrom([
          { role: 'user', content: 'ok' },
          { role: 'tool', content: 'x' },
        ]),
      ),
    ).toMatchObject({
      param: 'input[1].role',
    });
    expect(rejection(() => responseInputFrom([{ type: 'function_call_output', output: 'x' }]))).toMatchObject({
      param: 'input[0].type',
      code: 'unsupported_parameter',
    });
    expect(rejection(() => responseInputFrom([{ type: 'function_call', role: 'user', content: 'x' }]))).toMatchObject({
      param: 'input[0].type',
      code: 'unsupported_parameter',
    });
    expect(rejection(() => responseInputFrom([{ role: 'user', content: [{ type: 'input_audio' }] }]))).toMatchObject({
      param: 'input[0].content[0].type',
      code: 'unsupported_parameter',
    });
    expect(rejection(() => responseInputFrom([{ role: 'user', content: [{ type: 'input_image' }] }]))).toMatchObject({
      param: 'input[0].content[0].image_url',
      code: 'invalid_value',
    });
    expect(
      rejection(() => responseInputFrom([{ role: 'user', content: [{ type: 'input_text', text: 'x', y: 1 }] }])),
    ).toMatchObject({ param: 'input[0].content[0].y', code: 'unknown_parameter' });
    expect(rejection(() => responseInputFrom([{ role: 'user', content: 'x', colour: 'red' }]))).toMatchObject({
      param: 'input[0].colour',
      code: 'unknown_parameter',
    });
    expect(rejection(() => responseInputFrom(42))).toMatchObject({ param: 'input', code: 'invalid_type' });
  });

  it('takes back output items as the service returns them, and item references (typed or not)', () => {
    const returned = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Earlier answer', annotations: [], logprobs: [] }],
    };
    const entries = responseInputFrom([
      { role: 'user', content: 'Q1' },
      returned,
      { type: 'item_reference', id: 'msg_2' },
      { id: 'msg_3' },
      { role: 'user', content: 'Q3' },
    ]);
    expect(entries.filter((e) => e.type === 'item_reference')).toEqual([
      { type: 'item_reference', id: 'msg_2', param: 'input[2].id' },
      { type: 'item_reference', id: 'msg_3', param: 'input[3].id' },
    ]);
    expect(
      conversationFrom(
        entries,
        new Map<string, ResponseInputEntry[]>([
          ['msg_2', [{ type: 'message', role: 'assistant', text: 'A2' }]],
          ['msg_3', [{ type: 'message', role: 'assistant', text: 'A3' }]],
        ]),
      ).messages,
    ).toEqual([
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'Earlier answer' },
      { role: 'assistant', content: 'A2' },
      { role: 'assistant', content: 'A3' },
      { role: 'user', content: 'Q3' },
    ]);
    expect(storedItemEntries(returned, 'input[0].id')).toEqual([
      { type: 'message', role: 'assistant', text: 'Earlier answer' },
    ]);
  });

  const mcpCall = (fields: Record<string, unknown> = {}) => ({
    type: 'mcp_call',
    id: 'mcp_k_1',
    server_label: 'files',
    name: 'read_file',
    arguments: '{"path": "/a"}',
    output: 'contents',
    error: null,
    status: 'completed',
    ...fields,
  });

  it('takes back the agent’s tool calls: an mcp_call is the call and its result, a web_search_call nothing', () => {
    const entries = responseInputFrom([
      { role: 'user', content: 'Q' },
      mcpCall(),
      mcpCall({ id: 'mcp_k_2', server_label: 'agents', name: 'calculator', arguments: '{}', output: '2' }),
      { type: 'web_search_call', id: 'ws_k_3', status: 'completed', action: { type: 'search', query: 'x' } },
      // Failed at another OpenAI-compatible server: its error, as the model is to read it.
      mcpCall({ id: 'mcp_k_4', output: null, error: 'no such file', status: 'failed' }),
      mcpCall({
        id: 'mcp_k_5',
        output: null,
        error: { type: 'mcp_protocol_error', code: -32602, message: 'bad path' },
      }),
      // Never finished: nothing to give the model.
      mcpCall({ id: 'mcp_k_6', output: null, status: 'in_progress' }),
      // An id no provider would take as a call's: one derived from it, on the call and its result alike.
      mcpCall({ id: 'call.from/elsewhere', output: 'other' }),
      { role: 'assistant', content: 'Done.' },
    ]);
    const call = (id: string, name: string, args = '{"path": "/a"}') => ({ id, name, arguments: args });
    const derived = (conversationFrom(entries, new Map()).messages[1] as { toolCalls: { id: string }[] }).toolCalls[4]
      .id;
    expect(derived).toMatch(/^call_[0-9a-f]{32}$/);
    expect(conversationFrom(entries, new Map()).messages).toEqual([
      { role: 'user', content: 'Q' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          call('mcp_k_1', 'read_file_mcp_files'),
          call('mcp_k_2', 'calculator', '{}'),
          call('mcp_k_4', 'read_file_mcp_files'),
          call('mcp_k_5', 'read_file_mcp_files'),
          call(derived, 'read_file_mcp_files'),
        ],
      },
      { role: 'tool', toolCallId: 'mcp_k_1', content: 'contents' },
      { role: 'tool', toolCallId: 'mcp_k_2', content: '2' },
      { role: 'tool', toolCallId: 'mcp_k_4', content: 'Error: no such file' },
      { role: 'tool', toolCallId: 'mcp_k_5', content: 'Error: bad path' },
      { role: 'tool', toolCallId: derived, content: 'other' },
      { role: 'assistant', content: 'Done.' },
    ]);
  });

  it('resolves references to stored tool items, and names the bad field of a returned one', () => {
    expect(storedItemEntries(mcpCall(), 'input[1].id')).toEqual([
      {
        type: 'tool_call',
        call: { id: 'mcp_k_1', name: 'read_file_mcp_files', arguments: '{"path": "/a"}' },
        output: 'contents',
      },
    ]);
    expect(storedItemEntries({ type: 'web_search_call', id: 'ws_1', status: 'completed', action: {} }, 'x')).toEqual(
      [],
    );
    expect(storedItemEntries({ type: 'reasoning', id: 'rs_1' }, 'x')).toBeUndefined();
    expect(rejection(() => responseInputFrom([mcpCall({ colour: 'red' })]))).toMatchObject({
      param: 'input[0].colour',
      code: 'unknown_parameter',
    });
    expect(rejection(() => responseInputFrom([mcpCall({ arguments: { path: '/a' } })]))).toMatchObject({
      param: 'input[0].arguments',
    });
    expect(rejection(() => responseInputFrom([mcpCall({ name: 'read file' })]))).toMatchObject({
      param: 'input[0].name',
    });
    expect(rejection(() => responseInputFrom([mcpCall({ status: 'done' })]))).toMatchObject({
      param: 'input[0].status',
    });
    expect(rejection(() => responseInputFrom([{ type: 'web_search_call', id: 'ws_1', results: [] }]))).toMatchObject({
      param: 'input[0].results',
      code: 'unknown_parameter',
    });
    expect(rejection(() => responseInputFrom([{ type: 'web_search_call', status: 'completed' }]))).toMatchObject({
      param: 'input[0].id',
    });
    // Client-side tools' items stay refused.
    expect(
      rejection(() => responseInputFrom([{ type: 'function_call_output', call_id: 'c', output: 'x' }])),
    ).toMatchObject({ param: 'input[0].type', code: 'unsupported_parameter' });
  });

  it('takes back a returned chat message (refusal, annotations, null content with a refusal)', () => {
    const dto = pipe.transform({
      ...valid,
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello', refusal: null, annotations: [] },
        { role: 'user', content: 'Do something bad' },
        { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
        { role: 'user', content: 'OK' },
      ],
    });
    expect(completionInputFrom(dto).messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Do something bad' },
      { role: 'assistant', content: 'I cannot help with that.' },
      { role: 'user', content: 'OK' },
    ]);
    expect(rejection(() => pipe.transform({ ...valid, messages: [{ role: 'user', content: null }] }))).toMatchObject({
      param: 'messages[0].content',
    });
  });
});

describe('formatOpenAIError', () => {
  it.each([
    [new UnauthenticatedError('Invalid API key'), 401, 'invalid_request_error', 'invalid_api_key', null],
    [new NotFoundError('Agent x not found'), 404, 'invalid_request_error', 'model_not_found', 'model'],
    [new HttpException('Cannot GET /api/agents/v1/nope', 404), 404, 'invalid_request_error', 'unknown_url', null],
    [
      { type: 'entity.too.large', status: 413, message: 'too large' },
      413,
      'invalid_request_error',
      'request_too_large',
      null,
    ],
    [
      { type: 'entity.parse.failed', status: 400, message: 'Unexpected token' },
      400,
      'invalid_request_error',
      'invalid_json',
      null,
    ],
    [new Error('pg: relation missing'), 500, 'server_error', null, null],
  ])('maps %p to %i %s/%s in the envelope', (exception, status, type, code, param) => {
    const formatted = formatOpenAIError(exception, 'req-1');
    expect(formatted.status).toBe(status);
    expect(formatted.body).toEqual({
      error: { message: expect.any(String) as string, type, code, param },
    });
  });

  it('never leaks an unknown error and quotes the request id; a 429 carries Retry-After', () => {
    const internal = formatOpenAIError(new Error('password=hunter2'), 'req-9');
    expect(JSON.stringify(internal.body)).not.toContain('hunter2');
    expect(JSON.stringify(internal.body)).toContain('req-9');
    const limited = formatOpenAIError(new TooManyRequestsError('slow down', 7), 'r');
    expect(limited).toMatchObject({ status: 429, headers: { 'Retry-After': '7', 'retry-after-ms': '7000' } });
    expect(limited.body).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
  });
});
