import { Inject, Injectable, type CanActivate } from '@nestjs/common';
import { EVENT_BUS, GENERATION_STATE, type EventBus, type GenerationStateStore } from '@agents/streaming';

/**
 * Every chat route needs the event bus and the generation state (Redis in the distributed mode).
 * While Redis is known to be down this answers 503 with a message naming it, at once, before the
 * route does any work — rather than a request hanging on a dead connection, or a 404 for a stream
 * that may well exist. Agents, auth and the rest of the API keep working.
 */
@Injectable()
export class ChatAvailabilityGuard implements CanActivate {
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
  ) {}

  canActivate(): boolean {
    this.bus.assertAvailable();
    this.state.assertAvailable();
    return true;
  }
}
