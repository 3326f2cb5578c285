import { toAnthropicRequest } from './anthropic.mapping';
import type { ChatParameters } from './chat-provider';
import { toGoogleRequest } from './google.mapping';
import { toOpenAIRequest } from './openai.mapping';
import { PROVIDER_PARAMETERS, modelParameterProblems, protocolOf } from './provider-parameters';

const openai = { name: 'openai', kind: 'builtin' } as const;
const anthropic = { name: 'anthropic', kind: 'builtin' } as const;
const google = { name: 'google', kind: 'builtin' } as const;
const ollama = { name: 'ollama', kind: 'custom' } as const;

const fields = (problems: { field: string }[]): string[] => problems.map((p) => p.field);

/** One value of each sampling parameter that every rule below accepts on its own. */
const SAMPLE: Required<ChatParameters> = {
  temperature: 1,
  top_p: 0.97,
  max_tokens: 4000,
  frequency_penalty: 0.5,
  presence_penalty: 0.5,
  top_k: 40,
  stop: ['END'],
  reasoning_effort: 'low',
  verbosity: 'low',
  thinking_budget: 2048,
};

describe('protocolOf', () => {
  it('maps custom endpoints to OpenAI and built-ins to themselves', () => {
    expect([openai, anthropic, google, ollama].map(protocolOf)).toEqual(['openai', 'anthropic', 'google', 'openai']);
    // A custom endpoint named like a vendor still speaks OpenAI's protocol.
    expect(protocolOf({ name: 'anthropic', kind: 'custom' })).toBe('openai');
  });
});

describe('PROVIDER_PARAMETERS', () => {
  /**
   * The table must say what the mappings do: a parameter it allows reaches the vendor's request,
   * and one it refuses is dropped by that vendor's mapping.
   */
  it.each(Object.keys(SAMPLE) as Array<keyof ChatParameters>)('matches what each mapping sends for %s', (key) => {
    const request = (parameters: ChatParameters) => ({ model: 'm', messages: [], parameters });
    const alone = { [key]: SAMPLE[key] } as ChatParameters;
    const without = {} as ChatParameters;
    const sends = {
      openai: JSON.stringify(toOpenAIRequest(request(alone))) !== JSON.stringify(toOpenAIRequest(request(without))),
      anthropic:
        JSON.stringify(toAnthropicRequest(request(alone))) !== JSON.stringify(toAnthropicRequest(request(without))),
      google: JSON.stringify(toGoogleRequest(request(alone))) !== JSON.stringify(toGoogleRequest(request(without))),
    };
    expect(PROVIDER_PARAMETERS[key]).toEqual((['openai', 'anthropic', 'google'] as const).filter((p) => sends[p]));
  });
});

describe('modelParameterProblems', () => {
  it('accepts the parameters every provider takes, and the stored-only LibreChat settings', () => {
    const common = {
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 500,
      stop: ['x'],
      maxContextTokens: 9,
      resendFiles: true,
    };
    for (const provider of [openai, anthropic, google, ollama]) {
      expect(modelParameterProblems(provider, common)).toEqual([]);
    }
  });

  it.each([
    [openai, { thinking_budget: 2048 }, ['model_parameters.thinking_budget']],
    [ollama, { top_k: 40, thinking_budget: 1024 }, ['model_parameters.top_k', 'model_parameters.thinking_budget']],
    [
      anthropic,
      { frequency_penalty: 0.1, presence_penalty: 0.1 },
      ['model_parameters.frequency_penalty', 'model_parameters.presence_penalty'],
    ],
    [anthropic, { reasoning_effort: 'low' }, ['model_parameters.reasoning_effort']],
    [google, { reasoning_effort: 'high', presence_penalty: 1 }, ['model_parameters.reasoning_effort']],
  ])('refuses what %o cannot take: %o', (provider, parameters, expected) => {
    expect(fields(modelParameterProblems(provider, parameters))).toEqual(expected);
  });

  it('says which provider refused the parameter and which take it', () => {
    const [problem] = modelParameterProblems(openai, { thinking_budget: 2048 });
    expect(problem.message).toContain('"openai"');
    expect(problem.message).toContain('Anthropic and Google');
  });

  it.each([
    [openai, { reasoning_effort: 'high', frequency_penalty: 0.2, presence_penalty: 0.2 }],
    [ollama, { reasoning_effort: 'minimal' }],
    [google, { thinking_budget: 0, top_k: 10, temperature: 0.2, presence_penalty: 0.5, frequency_penalty: -0.5 }],
    [anthropic, { thinking_budget: 1024, max_tokens: 1025, temperature: 1, top_p: 0.95 }],
    [anthropic, { thinking_budget: 50_000 }], // no max_tokens: the mapping makes room for the answer
    [anthropic, { temperature: 0.2, top_k: 5, top_p: 0.1 }], // without thinking, anything goes
  ])('accepts %o with %o', (provider, parameters) => {
    expect(modelParameterProblems(provider, parameters)).toEqual([]);
  });

  describe("Anthropic's extended thinking", () => {
    it.each([
      [{ thinking_budget: 1023 }, ['model_parameters.thinking_budget'], 'at least 1024'],
      [{ thinking_budget: 2048, max_tokens: 2048 }, ['model_parameters.thinking_budget'], 'below max_tokens'],
      [{ thinking_budget: 2048, temperature: 0.7 }, ['model_parameters.temperature'], 'temperature'],
      [{ thinking_budget: 2048, top_k: 5 }, ['model_parameters.top_k'], 'top_k'],
      [{ thinking_budget: 2048, top_p: 0.9 }, ['model_parameters.top_p'], '0.95'],
    ])('refuses %o', (parameters, expected, words) => {
      const problems = modelParameterProblems(anthropic, parameters);
      expect(fields(problems)).toEqual(expected);
      expect(problems[0].message).toContain(words);
    });
  });

  it('names fields as the caller chooses', () => {
    const problems = modelParameterProblems(anthropic, { thinking_budget: 2048, temperature: 0.3 }, (key) => key);
    expect(fields(problems)).toEqual(['temperature']);
  });
});
