import { IsUUID } from 'class-validator';

/** `:id` of the file routes. */
export class FileIdParamDto {
  /** @example "3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e" */
  @IsUUID('all')
  id!: string;
}
