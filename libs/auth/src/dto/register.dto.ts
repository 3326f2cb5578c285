import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH } from '../password-policy';

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
   * At least PASSWORD_MIN_LENGTH characters (12 unless the server says otherwise), at most 128; not
   * only whitespace, and not one of the most commonly used passwords (compared ignoring case and
   * spaces). A long passphrase of unrelated words is a good choice.
   * @example "correct horse battery"
   */
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
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
