import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalNotNull } from '@agents/core';
import { AgentFieldsDto } from './agent-fields.dto';

export class CreateAgentDto extends AgentFieldsDto {
  /**
   * Agent name, 1..256 characters; defaults to "New Agent". Stored and returned verbatim: HTML is
   * not escaped, so clients must escape it when they render it.
   * @example "HR Helper"
   */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /**
   * AI provider: openai, anthropic, google or a configured custom endpoint (case-insensitive).
   * @example "openai"
   */
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  provider!: string;

  /** Model identifier. @example "gpt-4o" */
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  model!: string;
}
