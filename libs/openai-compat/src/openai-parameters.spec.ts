import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import published from '../../../test/schemas/openai/request-parameters.json';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CreateResponseDto } from './dto/create-response.dto';
import { OpenAIBodyPipe } from './openai-body.pipe';
import { OpenAIError } from './openai-error';

/** Every parameter the body validation does not know, anywhere in `body` (what becomes `unknown_parameter`). */
function unknownParameters(type: ClassConstructor<object>, body: object): string[] {
  const errors = validateSync(plainToInstance(type, body), { whitelist: true, forbidNonWhitelisted: true });
  const found: string[] = [];
  const walk = (list: ValidationError[], prefix: string): void => {
    for (const error of list) {
      const param = prefix ? `${prefix}.${error.property}` : error.property;
      if (error.constraints && 'whitelistValidation' in error.constraints) found.push(param);
      walk(error.children ?? [], param);
    }
  };
  walk(errors, '');
  return found;
}

function outcome(type: ClassConstructor<object>, body: object): string {
  try {
    new OpenAIBodyPipe<object>(type).transform(body);
    return 'accepted';
  } catch (err) {
    if (err instanceof OpenAIError) return `${err.code} ${err.param}`;
    throw err;
  }
}

const chat = { model: 'agent_x', messages: [{ role: 'user', content: 'Hi' }] };
const responses = { model: 'agent_x', input: 'Hi' };

/**
 * `unknown_parameter` means "OpenAI has no such parameter" (a typo, or a client from elsewhere):
 * every parameter OpenAI's published schema defines (vendored in test/schemas/openai) is known here,
 * whether it is honoured, accepted without effect, or refused as `unsupported_parameter`.
 */
describe('OpenAI request parameters', () => {
  const cases = [
    ['chat completions', ChatCompletionRequestDto, published.CreateChatCompletionRequest, chat],
    ['responses', CreateResponseDto, published.CreateResponse, responses],
  ] as const;

  describe.each(cases)('%s', (_name, type, schema, base) => {
    it.each(schema.parameters)('knows %s', (parameter) => {
      expect(unknownParameters(type, { ...base, [parameter]: null })).toEqual([]);
    });

    it.each(Object.entries(schema.nested).flatMap(([parent, names]) => names.map((name) => [parent, name])))(
      'knows %s.%s',
      (parent, name) => {
        expect(unknownParameters(type, { ...base, [parent]: { [name]: null } })).toEqual([]);
      },
    );

    it('still calls a name OpenAI does not define unknown', () => {
      expect(outcome(type, { ...base, frobnicate: 1 })).toBe('unknown_parameter frobnicate');
    });
  });

  it.each([
    [{ metadata: { team: 'support' } }],
    [{ safety_identifier: 'user-1' }],
    [{ prompt_cache_key: 'faq' }],
    [{ prompt_cache_retention: '24h' }],
    [{ prompt_cache_options: { ttl: '30m', mode: 'implicit' } }],
    [{ service_tier: 'auto' }],
    [{ service_tier: 'priority' }],
    [{ user: 'user-1' }],
    [{ verbosity: 'low' }],
    [{ reasoning_effort: 'none' }],
    [{ reasoning_effort: 'xhigh' }],
    [{ logit_bias: {} }],
    [{ top_logprobs: 0 }],
    [{ tool_choice: 'auto' }],
    [{ tool_choice: 'none' }],
    [{ parallel_tool_calls: false }],
    [{ function_call: 'none' }],
    [{ stream: true, stream_options: { include_usage: true, include_obfuscation: false } }],
    [{ prediction: { type: 'content', content: 'const x = 1;' } }],
  ])('chat completions accept %j', (parameters) => {
    expect(outcome(ChatCompletionRequestDto, { ...chat, ...parameters })).toBe('accepted');
  });

  it.each([
    [{ metadata: { team: 'support' } }],
    [{ safety_identifier: 'user-1' }],
    [{ prompt_cache_key: 'faq' }],
    [{ service_tier: 'auto' }],
    [{ user: 'user-1' }],
    [{ text: {} }],
    [{ text: { format: { type: 'text' }, verbosity: 'high' } }],
    [{ truncation: 'disabled' }],
    [{ truncation: 'auto' }],
    [{ include: [] }],
    [{ include: ['reasoning.encrypted_content', 'web_search_call.action.sources'] }],
    [{ reasoning: { effort: 'low', summary: 'auto' } }],
    [{ reasoning: { generate_summary: 'concise', context: 'auto', mode: 'standard' } }],
    [{ tool_choice: 'auto' }],
    [{ tool_choice: 'none' }],
    [{ parallel_tool_calls: true }],
    [{ max_tool_calls: 3 }],
    [{ top_logprobs: 0 }],
    [{ stream: true, stream_options: { include_obfuscation: false } }],
    [{ previous_response_id: null, instructions: null, store: null }],
  ])('responses accept %j', (parameters) => {
    expect(outcome(CreateResponseDto, { ...responses, ...parameters })).toBe('accepted');
  });

  it.each([
    ['chat', { logit_bias: { '50256': -100 } }, 'unsupported_parameter logit_bias'],
    ['chat', { top_logprobs: 3 }, 'unsupported_parameter top_logprobs'],
    ['chat', { tool_choice: 'required' }, 'unsupported_parameter tool_choice'],
    ['chat', { moderation: { model: 'omni-moderation-latest' } }, 'unsupported_parameter moderation'],
    ['chat', { web_search_options: {} }, 'unsupported_parameter web_search_options'],
    ['chat', { reasoning_effort: 'extreme' }, 'invalid_value reasoning_effort'],
    ['chat', { service_tier: 'gold' }, 'invalid_value service_tier'],
    ['responses', { include: ['message.output_text.logprobs'] }, 'unsupported_parameter include'],
    ['responses', { include: ['everything'] }, 'invalid_value include'],
    ['responses', { text: { format: { type: 'json_object' } } }, 'unsupported_parameter text.format'],
    ['responses', { text: { colour: 'red' } }, 'unknown_parameter text.colour'],
    ['responses', { tool_choice: 'required' }, 'unsupported_parameter tool_choice'],
    ['responses', { reasoning: { mode: 'pro' } }, 'unsupported_parameter reasoning.mode'],
    ['responses', { top_logprobs: 5 }, 'unsupported_parameter top_logprobs'],
    ['responses', { truncation: 'sometimes' }, 'invalid_value truncation'],
    ['responses', { prompt: { id: 'pmpt_1' } }, 'unsupported_parameter prompt'],
    ['responses', { conversation: 'conv_1' }, 'unsupported_parameter conversation'],
  ] as const)('%s refuses %j: %s', (api, parameters, expected) => {
    const body = { ...(api === 'chat' ? chat : responses), ...parameters };
    expect(outcome(api === 'chat' ? ChatCompletionRequestDto : CreateResponseDto, body)).toBe(expected);
  });

  it.each([
    [{ a: 'b'.repeat(513) }, 'metadata'],
    [{ ['k'.repeat(65)]: 'v' }, 'metadata'],
    [Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])), 'metadata'],
    [{ count: 3 }, 'metadata'],
  ])('bounds metadata like OpenAI: %j', (metadata, param) => {
    for (const [type, base] of [
      [ChatCompletionRequestDto, chat],
      [CreateResponseDto, responses],
    ] as const) {
      expect(outcome(type, { ...base, metadata })).toBe(`invalid_value ${param}`);
    }
    expect(
      outcome(CreateResponseDto, {
        ...responses,
        metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, 'x'), 'v'.repeat(512)])),
      }),
    ).toBe('accepted');
  });

  it('refuses safety_identifier over 64 characters, as OpenAI does', () => {
    expect(outcome(CreateResponseDto, { ...responses, safety_identifier: 'x'.repeat(65) })).toBe(
      'invalid_value safety_identifier',
    );
  });
});
