import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalNotNull } from '@agents/core';
import { AgentFieldsDto } from './agent-fields.dto';

/** Every field is optional; only the fields present change. */
export class UpdateAgentDto extends AgentFieldsDto {
  /**
   * 1..256 characters. Stored and returned verbatim: HTML is not escaped, so clients must escape
   * it when they render it.
   * @example "HR Helper v2"
   */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /** @example "anthropic" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  provider?: string;

  /** @example "claude-3-opus" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  model?: string;
}
