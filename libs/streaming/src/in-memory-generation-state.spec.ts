import 'reflect-metadata';
import { describeGenerationStateContract } from './generation-state.contract';
import { InMemoryGenerationState } from './in-memory-generation-state';

describeGenerationStateContract('InMemoryGenerationState', {
  make: (options) => new InMemoryGenerationState(options),
  // One process: the "other process" is the same in-process store.
  peer: (store) => store,
});
