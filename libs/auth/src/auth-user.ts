import type { UserRole } from './user.entity';

/** The authenticated caller, as guards attach it to the request. */
export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
}
