import { ValidationPipe } from '@nestjs/common';
import { ValidateIf, type ValidationError } from 'class-validator';
import { ValidationFailedError, type FieldProblem } from '../errors/domain-errors';

/**
 * The property may be omitted, but when present it must be valid: unlike @IsOptional(), `null`
 * is not accepted (use @IsOptional() for fields that may be cleared with null).
 */
export const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

function join(prefix: string, property: string): string {
  if (!prefix) return property;
  return /^\d+$/.test(property) ? `${prefix}[${property}]` : `${prefix}.${property}`;
}

/** When a value breaks several rules, the most basic one explains it best ("must be a string"). */
const RULE_PRIORITY = [
  'whitelistValidation',
  'isDefined',
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isObject',
  'isIn',
];

function rank(rule: string): number {
  const i = RULE_PRIORITY.indexOf(rule);
  return i === -1 ? RULE_PRIORITY.length : i;
}

/**
 * Flattens class-validator's tree into one problem per field:
 * `[{field: "model_parameters.temperature", message: "... must not be greater than 2"}]`.
 */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = join(prefix, error.property);
    const [rule, message] = Object.entries(error.constraints ?? {}).sort(([a], [b]) => rank(a) - rank(b))[0] ?? [];
    const own =
      rule === undefined || message === undefined
        ? []
        : [
            {
              field,
              message:
                rule === 'whitelistValidation'
                  ? `${field} is not a known field`
                  : message.replace(error.property, field),
            },
          ];
    // A value that is itself invalid (an array where an object belongs) explains the problem; the
    // errors class-validator also reports inside it would only contradict that one.
    return own.length > 0 ? own : flattenValidationErrors(error.children ?? [], field);
  });
}

/** The one strict pipe: unknown fields are rejected, types are transformed, errors name fields. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
