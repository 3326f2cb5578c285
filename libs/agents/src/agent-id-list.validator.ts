import { ValidateBy, type ValidationArguments } from 'class-validator';
import { AGENT_ID_PATTERN } from '@agents/core';

function isAgentId(value: unknown): boolean {
  return typeof value === 'string' && AGENT_ID_PATTERN.test(value);
}

/**
 * An agent id, or a list of 1..`maxItems` distinct agent ids: the two forms LibreChat's graph edges
 * take at each end. class-validator has no union types, hence one rule for both.
 */
export function IsAgentIdOrIds(maxItems: number): PropertyDecorator {
  return ValidateBy({
    name: 'isAgentIdOrIds',
    validator: {
      validate: (value: unknown): boolean =>
        isAgentId(value) ||
        (Array.isArray(value) &&
          value.length >= 1 &&
          value.length <= maxItems &&
          value.every(isAgentId) &&
          new Set(value).size === value.length),
      defaultMessage: (args?: ValidationArguments): string =>
        `${args?.property ?? 'value'} must be an agent id (agent_ + 21 characters) or a list of 1..${maxItems} distinct agent ids`,
    },
  });
}
