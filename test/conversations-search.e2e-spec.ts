import { startDeployment, startEmbedded, type Deployment, type EmbeddedDeployment } from './support/deployment';
import { searchShareCases } from './support/search-share-cases';

/**
 * Search and share links in both run modes, through the built processes: the embedded one runs the
 * migration and the full-text search on PGlite (btree_gin loaded), the distributed one on PostgreSQL.
 */
describe('search and share links, embedded: one process on PGlite', () => {
  let embedded: EmbeddedDeployment;

  beforeAll(async () => {
    embedded = await startEmbedded();
  }, 90_000);
  afterAll(() => embedded?.stop());

  searchShareCases(() => ({ api: embedded.api.baseUrl, fake: embedded.fake }));
});

describe('search and share links, distributed: api + worker on PostgreSQL and Redis', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsSearch' });
  }, 90_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  searchShareCases(() => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});
