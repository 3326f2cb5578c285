import { SetMetadata } from '@nestjs/common';

export const ACCEPTS_API_KEY = 'acceptsApiKey';

/**
 * Marks a controller or route as reachable with an API key (`Authorization: Bearer sk-…`) as well
 * as with a JWT: the OpenAI-compatible routes. Everywhere else an API key is refused.
 */
export const AcceptsApiKey = (): MethodDecorator & ClassDecorator => SetMetadata(ACCEPTS_API_KEY, true);
