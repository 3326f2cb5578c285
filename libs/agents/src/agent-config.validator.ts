import { Injectable } from '@nestjs/common';
import { ValidationFailedError, type FieldProblem } from '@agents/core';
import { ProviderRegistry, modelParameterProblems } from '@agents/providers';
import { ToolRegistry } from '@agents/tools';
import type { AgentFieldsDto } from './dto/agent-fields.dto';

/**
 * Rules that need the service's configuration rather than the request's shape: which providers,
 * models and tools exist, and how top-level temperature/top_p fold into model_parameters.
 */
@Injectable()
export class AgentConfigValidator {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly tools: ToolRegistry,
  ) {}

  /** The canonical provider name and a model it accepts; problems are reported, not thrown. */
  checkProviderAndModel(
    provider: string,
    model: string,
    problems: FieldProblem[],
    fields = { provider: 'provider', model: 'model' },
  ): string {
    const info = this.providers.resolve(provider);
    if (!info) {
      problems.push({
        field: fields.provider,
        message: `unknown provider "${provider}"; known providers: ${this.providers.names().join(', ')}`,
      });
      return provider;
    }
    if (info.models.length > 0 && !info.models.includes(model)) {
      problems.push({
        field: fields.model,
        message: `provider "${info.name}" does not serve model "${model}"; it serves: ${info.models.join(', ')}`,
      });
    }
    return info.name;
  }

  /**
   * Why `provider` cannot take the agent's model_parameters (`parameters`, after the shorthands
   * were folded in): one problem per parameter it would drop or its vendor would refuse. A key the
   * request set as a top-level shorthand (`temperature`, `top_p`) is named as the caller sent it.
   * An unknown provider is reported by {@link checkProviderAndModel}, not here.
   */
  checkModelParameters(
    provider: string,
    parameters: Record<string, unknown>,
    problems: FieldProblem[],
    dto: Pick<AgentFieldsDto, 'model_parameters' | 'temperature' | 'top_p'> = {},
  ): void {
    const info = this.providers.resolve(provider);
    if (!info) return;
    const sentAsShorthand = (key: string): boolean =>
      (key === 'temperature' || key === 'top_p') && dto[key] !== undefined && dto.model_parameters?.[key] === undefined;
    problems.push(
      ...modelParameterProblems(info, parameters, (key) => (sentAsShorthand(key) ? key : `model_parameters.${key}`)),
    );
  }

  /**
   * Why the enabled tools cannot be saved, one problem per id (`tools[i]`). Asynchronous: an MCP
   * tool is checked against its server's listing (a server that is down does not block saving).
   */
  async toolProblems(tools: string[] | undefined): Promise<FieldProblem[]> {
    if (!tools || tools.length === 0) return [];
    const problems = await this.tools.problems(tools);
    return problems.map(({ index, message }) => ({ field: `tools[${index}]`, message }));
  }

  /**
   * model_parameters after folding in the top-level shorthands. A shorthand that contradicts the
   * same key inside model_parameters is a 400 rather than a silent choice.
   */
  mergeModelParameters(
    dto: Pick<AgentFieldsDto, 'model_parameters' | 'temperature' | 'top_p'>,
    base: Record<string, unknown>,
    problems: FieldProblem[],
  ): Record<string, unknown> {
    const merged: Record<string, unknown> = dto.model_parameters
      ? withoutUndefined({ ...dto.model_parameters })
      : { ...base };
    for (const key of ['temperature', 'top_p'] as const) {
      const shorthand = dto[key];
      if (shorthand === undefined) continue;
      const nested = dto.model_parameters?.[key];
      if (nested !== undefined && nested !== shorthand) {
        problems.push({ field: key, message: `${key} (${shorthand}) contradicts model_parameters.${key} (${nested})` });
      }
      merged[key] = shorthand;
    }
    return merged;
  }

  throwIfAny(problems: FieldProblem[]): void {
    if (problems.length > 0) throw new ValidationFailedError(problems);
  }
}

/** Drops keys whose value is undefined, so stored JSON has only what the client sent. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
