import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationFailedError, strictValidationPipe, type FieldProblem } from '@agents/core';
import {
  AvatarDto,
  CreateAgentDto,
  ListAgentsQueryDto,
  ModelParametersDto,
  ToolResourcesDto,
  UpdateAgentDto,
} from '@agents/agents';

const FILE_ID = '5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f';

function validCreate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'HR Helper',
    description: 'Answers HR questions',
    instructions: 'Be brief.',
    provider: 'openai',
    model: 'gpt-4o',
    model_parameters: { temperature: 0.7, top_p: 1, max_tokens: 1024, stop: ['END'] },
    tools: ['calculator', 'web_search'],
    tool_resources: { file_search: { file_ids: [FILE_ID] } },
    avatar: { filepath: '/images/a.png', source: 'local' },
    category: 'general',
    conversation_starters: ['Hi'],
    ...overrides,
  };
}

function transform(value: unknown, metatype: ArgumentMetadata['metatype'], type: ArgumentMetadata['type'] = 'body') {
  return strictValidationPipe().transform(value, { type, metatype }) as Promise<unknown>;
}

/** The details of the ValidationFailedError the pipe throws for `value`. */
async function problems(
  value: unknown,
  metatype: ArgumentMetadata['metatype'],
  type: ArgumentMetadata['type'] = 'body',
): Promise<FieldProblem[]> {
  const error = await transform(value, metatype, type).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationFailedError);
  return (error as ValidationFailedError).details;
}

async function fieldsOf(value: unknown, metatype: ArgumentMetadata['metatype'], type?: ArgumentMetadata['type']) {
  return (await problems(value, metatype, type)).map((p) => p.field);
}

describe('strictValidationPipe on CreateAgentDto', () => {
  it('accepts a full valid body and returns class instances all the way down', async () => {
    const result = await transform(validCreate(), CreateAgentDto);
    expect(result).toBeInstanceOf(CreateAgentDto);
    const dto = result as CreateAgentDto;
    expect(dto.model_parameters).toBeInstanceOf(ModelParametersDto);
    expect(dto.tool_resources).toBeInstanceOf(ToolResourcesDto);
    expect(dto.avatar).toBeInstanceOf(AvatarDto);
    expect(dto.model_parameters?.max_tokens).toBe(1024);
    expect(dto.tools).toEqual(['calculator', 'web_search']);
  });

  it('accepts the minimal body of provider and model', async () => {
    const dto = (await transform({ provider: 'anthropic', model: 'claude-3-opus' }, CreateAgentDto)) as CreateAgentDto;
    expect(dto).toBeInstanceOf(CreateAgentDto);
    expect(dto.provider).toBe('anthropic');
    expect(dto.name).toBeUndefined();
  });

  it('names an unknown top-level field', async () => {
    const details = await problems(validCreate({ owner: 'me' }), CreateAgentDto);
    expect(details).toEqual([{ field: 'owner', message: 'owner is not a known field' }]);
  });

  it('names an unknown key nested in model_parameters', async () => {
    const body = validCreate({ model_parameters: { temperature: 0.5, bogus: 1 } });
    expect(await fieldsOf(body, CreateAgentDto)).toEqual(['model_parameters.bogus']);
  });

  it('names an unknown key nested in tool_resources', async () => {
    const body = validCreate({ tool_resources: { file_search: { file_ids: [FILE_ID], extra: true } } });
    expect(await fieldsOf(body, CreateAgentDto)).toEqual(['tool_resources.file_search.extra']);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['top-level temperature 2.5', { temperature: 2.5 }, ['temperature']],
    ['top-level temperature -0.01', { temperature: -0.01 }, ['temperature']],
    ['top-level top_p -0.1', { top_p: -0.1 }, ['top_p']],
    ['top-level top_p 1.1', { top_p: 1.1 }, ['top_p']],
    ['temperature as a string', { temperature: '0.5' }, ['temperature']],
    ['model_parameters.temperature 2.5', { model_parameters: { temperature: 2.5 } }, ['model_parameters.temperature']],
    ['model_parameters.top_p -0.1', { model_parameters: { top_p: -0.1 } }, ['model_parameters.top_p']],
    ['model_parameters.max_tokens 0', { model_parameters: { max_tokens: 0 } }, ['model_parameters.max_tokens']],
    ['model_parameters.max_tokens 1.5', { model_parameters: { max_tokens: 1.5 } }, ['model_parameters.max_tokens']],
    ['model_parameters as an array', { model_parameters: [1] }, ['model_parameters']],
    ['model_parameters null', { model_parameters: null }, ['model_parameters']],
    ['model_parameters as an array of objects', { model_parameters: [{ temperature: 5 }] }, ['model_parameters']],
    [
      'tool_resources.file_search as an array',
      { tool_resources: { file_search: [{ file_ids: ['x'] }] } },
      ['tool_resources.file_search'],
    ],
    ['name ""', { name: '' }, ['name']],
    ['name of spaces', { name: '   ' }, ['name']],
    ['name of 257 characters', { name: 'n'.repeat(257) }, ['name']],
    ['name null', { name: null }, ['name']],
    ['description of 2,001 characters', { description: 'd'.repeat(2001) }, ['description']],
    ['five conversation starters', { conversation_starters: ['1', '2', '3', '4', '5'] }, ['conversation_starters']],
    ['duplicated tools', { tools: ['calculator', 'calculator'] }, ['tools']],
    ['tools null', { tools: null }, ['tools']],
    [
      'a non-UUID file id',
      { tool_resources: { file_search: { file_ids: [FILE_ID, 'not-a-uuid'] } } },
      ['tool_resources.file_search.file_ids'],
    ],
    ['an avatar without source', { avatar: { filepath: '/a.png' } }, ['avatar.source']],
    ['a category with a slash', { category: 'a/b' }, ['category']],
  ])('rejects %s, naming exactly that field', async (_label, overrides, fields) => {
    expect(await fieldsOf(validCreate(overrides), CreateAgentDto)).toEqual(fields);
  });

  it('gives one problem per field even when a value breaks several rules', async () => {
    const details = await problems(validCreate({ name: '' }), CreateAgentDto);
    expect(details).toHaveLength(1);
    expect(details[0].message).toContain('name');
    const typed = await problems(validCreate({ name: 42 }), CreateAgentDto);
    expect(typed).toEqual([{ field: 'name', message: expect.stringContaining('must be a string') }]);
  });

  it('says why a blank name is rejected', async () => {
    const [problem] = await problems(validCreate({ name: '   ' }), CreateAgentDto);
    expect(problem.message).toMatch(/blank/);
  });

  it('names both provider and model when they are missing', async () => {
    const body = validCreate();
    delete body.provider;
    delete body.model;
    expect((await fieldsOf(body, CreateAgentDto)).sort()).toEqual(['model', 'provider']);
  });

  it('reports every bad field of one body at once', async () => {
    const body = validCreate({ temperature: 3, tools: ['a', 'a'], unknown: 1 });
    expect((await fieldsOf(body, CreateAgentDto)).sort()).toEqual(['temperature', 'tools', 'unknown']);
  });

  it('accepts the boundaries of the ranges', async () => {
    const body = validCreate({
      name: 'n'.repeat(256),
      temperature: 2,
      top_p: 0,
      model_parameters: { temperature: 0, top_p: 1, max_tokens: 1 },
      conversation_starters: ['1', '2', '3', '4'],
    });
    await expect(transform(body, CreateAgentDto)).resolves.toBeInstanceOf(CreateAgentDto);
  });
});

describe('strictValidationPipe on UpdateAgentDto', () => {
  it('accepts an empty body', async () => {
    await expect(transform({}, UpdateAgentDto)).resolves.toBeInstanceOf(UpdateAgentDto);
  });

  it('rejects name null, naming name', async () => {
    expect(await fieldsOf({ name: null }, UpdateAgentDto)).toEqual(['name']);
  });

  it.each(['provider', 'model', 'tools', 'category', 'conversation_starters', 'model_parameters'])(
    'rejects %s null (it cannot be cleared)',
    async (field) => {
      expect(await fieldsOf({ [field]: null }, UpdateAgentDto)).toEqual([field]);
    },
  );

  it('accepts description, instructions and avatar null, which clear them', async () => {
    const dto = (await transform(
      { description: null, instructions: null, avatar: null },
      UpdateAgentDto,
    )) as UpdateAgentDto;
    expect(dto).toBeInstanceOf(UpdateAgentDto);
    expect(dto.description).toBeNull();
    expect(dto.instructions).toBeNull();
    expect(dto.avatar).toBeNull();
  });

  it('applies the same field rules as create', async () => {
    expect(await fieldsOf({ temperature: 2.5 }, UpdateAgentDto)).toEqual(['temperature']);
    expect(await fieldsOf({ model_parameters: { nope: 1 } }, UpdateAgentDto)).toEqual(['model_parameters.nope']);
    expect(await fieldsOf({ id: 'agent_x' }, UpdateAgentDto)).toEqual(['id']);
  });
});

describe('strictValidationPipe on ListAgentsQueryDto', () => {
  it('turns a numeric string limit into a number', async () => {
    const dto = (await transform({ limit: '5' }, ListAgentsQueryDto, 'query')) as ListAgentsQueryDto;
    expect(dto).toBeInstanceOf(ListAgentsQueryDto);
    expect(dto.limit).toBe(5);
  });

  it('defaults limit to 20', async () => {
    const dto = (await transform({}, ListAgentsQueryDto, 'query')) as ListAgentsQueryDto;
    expect(dto.limit).toBe(20);
  });

  it.each(['abc', '0', '101', '2.5', '-1'])('rejects limit=%p, naming limit', async (limit) => {
    expect(await fieldsOf({ limit }, ListAgentsQueryDto, 'query')).toEqual(['limit']);
  });

  it('rejects an unknown query parameter and an over-long search', async () => {
    expect(await fieldsOf({ sort: 'name' }, ListAgentsQueryDto, 'query')).toEqual(['sort']);
    expect(await fieldsOf({ search: 's'.repeat(257) }, ListAgentsQueryDto, 'query')).toEqual(['search']);
  });

  it('accepts search, category, cursor and requiredPermission together', async () => {
    const dto = (await transform(
      { limit: '100', search: 'hr', category: 'general', cursor: 'abc', requiredPermission: '1' },
      ListAgentsQueryDto,
      'query',
    )) as ListAgentsQueryDto;
    expect(dto).toMatchObject({ limit: 100, search: 'hr', category: 'general', cursor: 'abc', requiredPermission: 1 });
  });
});
