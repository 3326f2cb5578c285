import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  /** @example "ada@example.com" */
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  email!: string;

  /** @example "correct horse battery" */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password!: string;
}
