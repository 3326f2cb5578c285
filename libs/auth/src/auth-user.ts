import type { UserRole } from './user.entity';

/** The authenticated caller, as guards attach it to the request. */
export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  /** Set when the request authenticated with an API key (for per-key rate limits); absent for a JWT. */
  apiKeyId?: string;
}
