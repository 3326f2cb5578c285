import 'reflect-metadata';
import { describeEventBusContract } from './event-bus.contract';
import { InMemoryEventBus } from './in-memory-event-bus';

describeEventBusContract('InMemoryEventBus', {
  make: (options) => new InMemoryEventBus(options),
  // One process: the "other process" is the same in-process bus.
  peer: (bus) => bus,
  capSlack: 0,
});
