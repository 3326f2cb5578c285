import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsHttpUrlOrRootPath, OptionalNotNull } from '@agents/core';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/** Sampling and generation parameters passed to the provider. */
export class ModelParametersDto {
  /** Sampling temperature, 0..2. @example 0.7 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Nucleus sampling, 0..1. @example 1 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(0)
  @Max(1)
  top_p?: number;

  /** Upper bound on generated tokens. @example 1024 */
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number;

  /** -2..2. @example 0 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  /** -2..2. @example 0 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  /** Top-k sampling (Anthropic, Google). @example 40 */
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  top_k?: number;

  /** Up to 4 stop sequences. @example ["\n\nUser:"] */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(256, { each: true })
  stop?: string[];

  /** Reasoning effort for reasoning models. @example "medium" */
  @OptionalNotNull()
  @IsIn(['minimal', 'low', 'medium', 'high'])
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';
}

export class FileIdsDto {
  /** Ids of uploaded files (UUIDs), at most 100. @example ["5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f"] */
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  file_ids!: string[];
}

/** Tool-specific resources. */
export class ToolResourcesDto {
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  file_search?: FileIdsDto;

  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  code_interpreter?: FileIdsDto;

  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  execute_code?: FileIdsDto;
}

export class AvatarDto {
  /**
   * The image's URL: an http:// or https:// URL, or a path on this server starting with a single
   * `/`. Other schemes (`javascript:`, `data:` …) and protocol-relative `//host/…` are refused,
   * since clients put this straight into `src` or `href`.
   * @example "/images/avatars/agent.png"
   */
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  @IsHttpUrlOrRootPath()
  filepath!: string;

  /** Where the file is stored. @example "local" */
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  source!: string;
}
