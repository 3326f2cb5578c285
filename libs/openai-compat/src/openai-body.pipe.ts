import type { PipeTransform } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { OpenAIError } from './openai-error';
import { UNSUPPORTED_RULE } from './openai-validators';

const TYPE_RULES = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'nestedValidation']);

function join(prefix: string, property: string): string {
  if (!prefix) return property;
  return /^\d+$/.test(property) ? `${prefix}[${property}]` : `${prefix}.${property}`;
}

const isUnknownField = (error: ValidationError): boolean => 'whitelistValidation' in (error.constraints ?? {});

/** The first problem in class-validator's tree, as OpenAI reports it: one message naming one `param`. */
export function openAIErrorFrom(errors: ValidationError[], prefix = ''): OpenAIError | undefined {
  // A bad value of a known field (`role: "tool"`) explains more than the extra fields that come with it.
  const unknownLast = [...errors].sort((a, b) => Number(isUnknownField(a)) - Number(isUnknownField(b)));
  for (const error of unknownLast) {
    const param = join(prefix, error.property);
    const constraints = Object.entries(error.constraints ?? {});
    if (constraints.length > 0) {
      const unknown = constraints.find(([rule]) => rule === 'whitelistValidation');
      if (unknown) {
        return OpenAIError.invalidRequest(
          `Unrecognized request argument supplied: ${param}`,
          param,
          'unknown_parameter',
        );
      }
      const unsupported = constraints.find(([rule]) => rule === UNSUPPORTED_RULE);
      if (unsupported) {
        return OpenAIError.invalidRequest(
          `Unsupported parameter: '${param}': ${unsupported[1]}.`,
          param,
          'unsupported_parameter',
        );
      }
      if (error.value === undefined) {
        return OpenAIError.invalidRequest(
          `Missing required parameter: '${param}'.`,
          param,
          'missing_required_parameter',
        );
      }
      const typeRule = constraints.find(([rule]) => TYPE_RULES.has(rule));
      const [, message] = typeRule ?? constraints[0];
      const text = message.replace(error.property, param);
      return typeRule
        ? OpenAIError.invalidRequest(`Invalid type for '${param}': ${text}.`, param, 'invalid_type')
        : OpenAIError.invalidRequest(`Invalid value for '${param}': ${text}.`, param, 'invalid_value');
    }
    const nested = openAIErrorFrom(error.children ?? [], param);
    if (nested) return nested;
  }
  return undefined;
}

/**
 * Validates an OpenAI request body against its DTO with the strict rules of the global pipe (unknown
 * fields rejected, no type coercion), but answers OpenAI-style: a 400 naming the parameter. The
 * route's body parameter is typed `unknown`, so the global pipe leaves it to this one.
 */
export class OpenAIBodyPipe<T extends object> implements PipeTransform<unknown, T> {
  constructor(private readonly type: ClassConstructor<T>) {}

  transform(value: unknown): T {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw OpenAIError.invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
    }
    const instance = plainToInstance(this.type, value);
    const errors = validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: true },
    });
    const error = openAIErrorFrom(errors);
    if (error) throw error;
    return instance;
  }
}
