export * from './auth.module';
export * from './auth-user';
export * from './current-user.decorator';
export * from './public.decorator';
export * from './user.entity';
export * from './users.repository';
