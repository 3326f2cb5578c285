import { startDeployment, startEmbedded, type Deployment, type EmbeddedDeployment } from './support/deployment';
import { REGENERATE_ENV, regenerateCases, titlesOffCases, type RegenerateTarget } from './support/regenerate-cases';

/** Regenerating, editing and titles, in both run modes, through the built processes. */
describe('regenerate, edit and titles, embedded: one process', () => {
  let embedded: EmbeddedDeployment;

  beforeAll(async () => {
    embedded = await startEmbedded(REGENERATE_ENV);
  }, 90_000);
  afterAll(() => embedded?.stop());

  regenerateCases((): RegenerateTarget => ({ api: embedded.api.baseUrl, fake: embedded.fake }));
});

describe('regenerate, edit and titles, distributed: api + worker on PostgreSQL and Redis', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsRegenerate', env: REGENERATE_ENV });
  }, 90_000);
  afterAll(() => deployment?.stop());

  regenerateCases((): RegenerateTarget => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});

describe('titles off, embedded', () => {
  let embedded: EmbeddedDeployment;

  beforeAll(async () => {
    embedded = await startEmbedded({ TITLE_GENERATION: 'false' });
  }, 90_000);
  afterAll(() => embedded?.stop());

  titlesOffCases((): RegenerateTarget => ({ api: embedded.api.baseUrl, fake: embedded.fake }));
});

describe('titles off, distributed', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsRegenerate', env: { TITLE_GENERATION: 'false' } });
  }, 90_000);
  afterAll(() => deployment?.stop());

  titlesOffCases((): RegenerateTarget => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});
