import 'reflect-metadata';
import { CustomEndpointConfig, ValidationFailedError, type AppConfig, type FieldProblem } from '@agents/core';
import { ProviderRegistry } from '@agents/providers';
import { McpManager, ToolRegistry } from '@agents/tools';
import { AgentConfigValidator, withoutUndefined } from './agent-config.validator';

function endpoint(name: string, models: string[] = []): CustomEndpointConfig {
  return Object.assign(new CustomEndpointConfig(), { name, baseURL: 'http://localhost:11434/v1', models });
}

function validatorWith(...customEndpoints: CustomEndpointConfig[]): AgentConfigValidator {
  const config = {
    customEndpoints,
    mcpServers: [],
    openai: {},
    anthropic: {},
    google: {},
    codeInterpreter: { python: null, timeoutSeconds: 30, memoryMb: 512 },
    webSearch: { provider: 'searxng', url: 'http://searxng:8080', maxResults: 5, timeoutMs: 1000 },
  } as unknown as AppConfig;
  return new AgentConfigValidator(new ProviderRegistry(config), new ToolRegistry(config, new McpManager(config)));
}

describe('AgentConfigValidator.checkProviderAndModel', () => {
  it.each(['openAI', 'OPENAI', 'openai'])('accepts %p case-insensitively and returns "openai"', (spelling) => {
    const problems: FieldProblem[] = [];
    expect(validatorWith().checkProviderAndModel(spelling, 'gpt-4o', problems)).toBe('openai');
    expect(problems).toEqual([]);
  });

  it('accepts any model name for a built-in provider', () => {
    const problems: FieldProblem[] = [];
    validatorWith().checkProviderAndModel('anthropic', 'some-future-model', problems);
    expect(problems).toEqual([]);
  });

  it('reports an unknown provider on `provider`, listing the known ones', () => {
    const problems: FieldProblem[] = [];
    validatorWith(endpoint('ollama')).checkProviderAndModel('acme', 'x', problems);
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe('provider');
    for (const known of ['openai', 'anthropic', 'google', 'ollama']) expect(problems[0].message).toContain(known);
  });

  it('accepts a configured custom endpoint by name and returns its configured spelling', () => {
    const problems: FieldProblem[] = [];
    const validator = validatorWith(endpoint('Ollama', ['llama3', 'mistral']));
    expect(validator.checkProviderAndModel('ollama', 'llama3', problems)).toBe('Ollama');
    expect(problems).toEqual([]);
  });

  it('rejects a model a custom endpoint does not list, on `model`', () => {
    const problems: FieldProblem[] = [];
    validatorWith(endpoint('ollama', ['llama3', 'mistral'])).checkProviderAndModel('ollama', 'gpt-4o', problems);
    expect(problems).toEqual([{ field: 'model', message: expect.stringContaining('llama3, mistral') }]);
  });

  it('accepts any model for a custom endpoint with no models list', () => {
    const problems: FieldProblem[] = [];
    validatorWith(endpoint('vllm')).checkProviderAndModel('vllm', 'whatever', problems);
    expect(problems).toEqual([]);
  });

  it('does not let a custom endpoint shadow a built-in provider', () => {
    const problems: FieldProblem[] = [];
    const validator = validatorWith(endpoint('OpenAI', ['only-this']));
    expect(validator.checkProviderAndModel('openai', 'gpt-4o', problems)).toBe('openai');
    expect(problems).toEqual([]);
  });

  it('reports on the field names it is given', () => {
    const problems: FieldProblem[] = [];
    validatorWith().checkProviderAndModel('acme', 'x', problems, { provider: 'p', model: 'm' });
    expect(problems.map((p) => p.field)).toEqual(['p']);
  });
});

describe('AgentConfigValidator.toolProblems', () => {
  it('names each unknown tool by its index', async () => {
    const problems = await validatorWith().toolProblems(['calculator', 'nope', 'web_search', 'also_nope']);
    expect(problems.map((p) => p.field)).toEqual(['tools[1]', 'tools[3]']);
    expect(problems[0].message).toContain('nope');
  });

  it('refuses the built-ins this deployment is not set up for, saying what is missing rather than "unknown"', async () => {
    // No Python (codeInterpreter.python is null) and no image endpoint in this configuration.
    const problems = await validatorWith().toolProblems(['execute_code', 'code_interpreter', 'file_search', 'dalle']);
    expect(problems.map((p) => p.field)).toEqual(['tools[0]', 'tools[1]', 'tools[3]']);
    expect(problems[0]?.message).toContain('no sandboxed Python');
    expect(problems[2]?.message).toContain('no image model');
  });

  it('refuses an MCP tool of a server the config file does not name', async () => {
    const problems = await validatorWith().toolProblems(['search_mcp_nowhere']);
    expect(problems).toEqual([{ field: 'tools[0]', message: expect.stringContaining('unknown MCP server "nowhere"') }]);
  });

  it('accepts an absent or empty list', async () => {
    expect(await validatorWith().toolProblems(undefined)).toEqual([]);
    expect(await validatorWith().toolProblems([])).toEqual([]);
  });
});

describe('AgentConfigValidator.mergeModelParameters', () => {
  const validator = validatorWith();

  it('folds a top-level temperature and top_p into the base parameters', () => {
    const problems: FieldProblem[] = [];
    const merged = validator.mergeModelParameters({ temperature: 0.3, top_p: 0.9 }, { max_tokens: 100 }, problems);
    expect(merged).toEqual({ max_tokens: 100, temperature: 0.3, top_p: 0.9 });
    expect(problems).toEqual([]);
  });

  it('lets a given model_parameters replace the base, then folds the shorthands into it', () => {
    const problems: FieldProblem[] = [];
    const merged = validator.mergeModelParameters(
      { model_parameters: { top_p: 0.5 }, temperature: 1.2 },
      { max_tokens: 100, temperature: 0.1 },
      problems,
    );
    expect(merged).toEqual({ top_p: 0.5, temperature: 1.2 });
    expect(problems).toEqual([]);
  });

  it('does not mutate the base', () => {
    const base = { temperature: 0.1 };
    validator.mergeModelParameters({ temperature: 0.9 }, base, []);
    expect(base).toEqual({ temperature: 0.1 });
  });

  it('drops undefined keys from model_parameters', () => {
    const merged = validator.mergeModelParameters({ model_parameters: { temperature: undefined, top_p: 1 } }, {}, []);
    expect(Object.keys(merged)).toEqual(['top_p']);
  });

  it('accepts a shorthand that agrees with model_parameters', () => {
    const problems: FieldProblem[] = [];
    const merged = validator.mergeModelParameters(
      { temperature: 0.5, model_parameters: { temperature: 0.5 } },
      {},
      problems,
    );
    expect(merged).toEqual({ temperature: 0.5 });
    expect(problems).toEqual([]);
  });

  it.each(['temperature', 'top_p'] as const)('reports a %s that contradicts model_parameters', (key) => {
    const problems: FieldProblem[] = [];
    validator.mergeModelParameters({ [key]: 0.2, model_parameters: { [key]: 0.8 } }, {}, problems);
    expect(problems).toEqual([{ field: key, message: expect.stringContaining(`model_parameters.${key}`) }]);
  });
});

describe('AgentConfigValidator.throwIfAny', () => {
  it('throws a ValidationFailedError carrying the problems, and nothing when there are none', () => {
    const validator = validatorWith();
    expect(() => validator.throwIfAny([])).not.toThrow();
    const problems = [{ field: 'tools[0]', message: 'unknown tool' }];
    let error: unknown;
    try {
      validator.throwIfAny(problems);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).details).toEqual(problems);
  });
});

describe('withoutUndefined', () => {
  it('drops undefined values but keeps null, false and 0', () => {
    expect(withoutUndefined({ a: undefined, b: null, c: false, d: 0 })).toEqual({ b: null, c: false, d: 0 });
  });
});

describe('AgentConfigValidator.checkModelParameters', () => {
  it('reports what the provider cannot take under model_parameters, or under the shorthand the caller sent', () => {
    const problems: FieldProblem[] = [];
    validatorWith().checkModelParameters('Anthropic', { thinking_budget: 2048, temperature: 0.5, top_k: 3 }, problems, {
      temperature: 0.5,
    });
    expect(problems.map((p) => p.field)).toEqual(['temperature', 'model_parameters.top_k']);
  });

  it('checks a custom endpoint as an OpenAI-compatible one, and leaves an unknown provider to checkProviderAndModel', () => {
    const problems: FieldProblem[] = [];
    const validator = validatorWith(endpoint('vllm'));
    validator.checkModelParameters('vllm', { reasoning_effort: 'low', top_k: 5 }, problems);
    validator.checkModelParameters('acme', { top_k: 5 }, problems);
    expect(problems.map((p) => p.field)).toEqual(['model_parameters.top_k']);
  });
});
