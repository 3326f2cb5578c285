import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  /**
   * Login e-mail address, unique case-insensitively.
   * @example "ada@example.com"
   */
  @Transform(trim)
  @IsEmail()
  @MaxLength(320)
  email!: string;

  /**
   * 8 to 128 characters.
   * @example "correct horse battery"
   */
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password!: string;

  /**
   * Display name.
   * @example "Ada Lovelace"
   */
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  name!: string;
}
