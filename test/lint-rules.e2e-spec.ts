import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The dependency rules of docs/architecture.md § Dependency rules, as eslint.config.mjs enforces
 * them: each rule is shown an import that breaks it (ESLint must report it, with the rule's own
 * message) and an import it allows (ESLint must report nothing). The code is linted as if it were
 * a file at `filePath`, so what is proven is which files each rule covers — specs included.
 */

const ROOT = join(__dirname, '..');

interface Case {
  /** Where the import would be written (nothing is written). */
  filePath: string;
  /** The module imported. */
  from: string;
  /** A fragment of the message the rule must give; absent: the import is allowed. */
  error?: string;
}

interface Finding {
  ruleId: string | null;
  message: string;
}

/**
 * Lints each case's import with the project's ESLint configuration through ESLint's Node API, in
 * a child process: the API loads eslint.config.mjs with a dynamic import(), which Jest's module
 * system cannot run. Only `no-restricted-imports` runs (so type information is not needed), which
 * also keeps the probe from reporting the probe code itself.
 */
function lintImports(cases: Case[]): Finding[][] {
  const probe = `
    const { ESLint } = require('eslint');
    let input = '';
    process.stdin.on('data', (chunk) => (input += chunk));
    process.stdin.on('end', async () => {
      const eslint = new ESLint({
        cwd: ${JSON.stringify(ROOT)},
        ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
        overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
      });
      const results = [];
      for (const { filePath, from } of JSON.parse(input)) {
        const code = 'import { probe } from ' + JSON.stringify(from) + ';\\nexport const used = probe;\\n';
        const [result] = await eslint.lintText(code, { filePath, warnIgnored: true });
        results.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
      }
      process.stdout.write(JSON.stringify(results));
    });`;
  const run = spawnSync(process.execPath, ['-e', probe], {
    cwd: ROOT,
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`the ESLint probe failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[][];
}

const ALIAS = 'Import libraries through their @agents/* alias';
const NO_APP = 'A library never imports an app';
const NO_TESTING = 'Production code never imports test support';
const TESTING_ALIAS = 'Import test support through its @agents/testing/* alias';

/** [rule, cases]: every rule has at least one violation and one allowed import. */
const RULES: [string, Case[]][] = [
  [
    'no library imports an app',
    [
      { filePath: 'libs/chat/src/probe.ts', from: '../../../apps/api/src/app.module', error: NO_APP },
      { filePath: 'libs/core/src/database/probe.ts', from: '../../../../apps/worker/src/worker.module', error: NO_APP },
      { filePath: 'libs/agents/src/probe.spec.ts', from: '../../../apps/api/src/configure-app', error: NO_APP },
      { filePath: 'libs/jobs/src/probe.int-spec.ts', from: '../../../apps/worker/src/main', error: NO_APP },
      { filePath: 'apps/api/src/probe.ts', from: '@agents/chat' },
      { filePath: 'libs/chat/src/probe.spec.ts', from: '@agents/testing/test-app' },
    ],
  ],
  [
    'apps/api never imports @agents/providers or @agents/tools',
    [
      {
        filePath: 'apps/api/src/probe.ts',
        from: '@agents/providers',
        error: 'apps/api never imports @agents/providers',
      },
      { filePath: 'apps/api/src/probe.ts', from: '@agents/tools', error: 'apps/api never imports @agents/providers' },
      { filePath: 'apps/api/src/probe.ts', from: '@agents/tools/tool-registry', error: 'apps/api never imports' },
      { filePath: 'apps/api/src/probe.int-spec.ts', from: '@agents/providers', error: 'apps/api never imports' },
      { filePath: 'apps/api/src/probe.spec.ts', from: '@agents/tools', error: 'apps/api never imports' },
      { filePath: 'apps/api/src/probe.ts', from: '@agents/openai-compat' },
      { filePath: 'libs/agents/src/probe.ts', from: '@agents/providers' },
    ],
  ],
  [
    'libs/streaming never imports @agents/agents or @agents/chat',
    [
      { filePath: 'libs/streaming/src/probe.ts', from: '@agents/agents', error: 'libs/streaming never imports' },
      { filePath: 'libs/streaming/src/probe.ts', from: '@agents/chat', error: 'libs/streaming never imports' },
      { filePath: 'libs/streaming/src/probe.spec.ts', from: '@agents/chat', error: 'libs/streaming never imports' },
      { filePath: 'libs/streaming/src/probe.int-spec.ts', from: '@agents/agents', error: 'libs/streaming never' },
      { filePath: 'libs/streaming/src/probe.ts', from: '@agents/core' },
    ],
  ],
  [
    'libs/acl never imports @agents/agents',
    [
      { filePath: 'libs/acl/src/probe.ts', from: '@agents/agents', error: 'libs/acl never imports @agents/agents' },
      { filePath: 'libs/acl/src/dto/probe.ts', from: '@agents/agents', error: 'libs/acl never imports' },
      { filePath: 'libs/acl/src/probe.int-spec.ts', from: '@agents/agents', error: 'libs/acl never imports' },
      { filePath: 'libs/acl/src/probe.spec.ts', from: '@agents/agents', error: 'libs/acl never imports' },
      { filePath: 'libs/acl/src/probe.ts', from: '@agents/auth' },
    ],
  ],
  [
    'libs/versions never imports @agents/agents',
    [
      { filePath: 'libs/versions/src/probe.ts', from: '@agents/agents', error: 'libs/versions never imports' },
      { filePath: 'libs/versions/src/probe.int-spec.ts', from: '@agents/agents', error: 'libs/versions never' },
      { filePath: 'libs/versions/src/probe.ts', from: '@agents/core' },
    ],
  ],
  [
    'libs/providers never imports @agents/chat',
    [
      { filePath: 'libs/providers/src/probe.ts', from: '@agents/chat', error: 'libs/providers never imports' },
      { filePath: 'libs/providers/src/probe.int-spec.ts', from: '@agents/chat', error: 'libs/providers never' },
      { filePath: 'libs/providers/src/probe.ts', from: '@agents/core' },
    ],
  ],
  [
    'libs/chat never imports @agents/generation (the worker side builds on chat)',
    [
      { filePath: 'libs/chat/src/probe.ts', from: '@agents/generation', error: 'libs/chat never imports' },
      { filePath: 'libs/chat/src/probe.spec.ts', from: '@agents/generation', error: 'libs/chat never imports' },
      { filePath: 'libs/generation/src/probe.ts', from: '@agents/chat' },
    ],
  ],
  [
    'production code never imports test support',
    [
      { filePath: 'libs/agents/src/probe.ts', from: '@agents/testing/entity-factories', error: NO_TESTING },
      { filePath: 'libs/chat/src/generation/probe.ts', from: '@agents/testing/fake-openai', error: NO_TESTING },
      { filePath: 'apps/api/src/probe.ts', from: '@agents/testing/test-app', error: NO_TESTING },
      { filePath: 'apps/worker/src/probe.ts', from: '@agents/testing/redis', error: NO_TESTING },
      { filePath: 'libs/core/src/probe.ts', from: '../../../test/support/redis', error: NO_TESTING },
      { filePath: 'libs/agents/src/probe.spec.ts', from: '@agents/testing/entity-factories' },
      { filePath: 'apps/api/src/probe.int-spec.ts', from: '@agents/testing/process' },
    ],
  ],
  [
    'specs import test support through @agents/testing',
    [
      {
        filePath: 'libs/agents/src/probe.spec.ts',
        from: '../../../test/support/entity-factories',
        error: TESTING_ALIAS,
      },
      {
        filePath: 'libs/chat/src/generation/probe.int-spec.ts',
        from: '../../../../test/support/fake-openai',
        error: TESTING_ALIAS,
      },
      { filePath: 'libs/chat/src/generation/probe.int-spec.ts', from: '@agents/testing/fake-openai' },
    ],
  ],
  [
    'libraries are imported through their alias (kept in every folder block)',
    [
      { filePath: 'apps/api/src/probe.ts', from: '../../../libs/agents/src/agent.entity', error: ALIAS },
      { filePath: 'apps/worker/src/probe.ts', from: '../../../libs/chat/src', error: ALIAS },
      { filePath: 'libs/chat/src/probe.ts', from: '../../agents/src/agent.entity', error: ALIAS },
      { filePath: 'libs/acl/src/probe.ts', from: '../../auth/src/user.entity', error: ALIAS },
      { filePath: 'libs/streaming/src/probe.spec.ts', from: '../../core/src/config/app-config', error: ALIAS },
      { filePath: 'libs/chat/src/generation/probe.ts', from: '../../../agents/src', error: ALIAS },
      { filePath: 'libs/openai-compat/src/probe.int-spec.ts', from: '../../chat/src/chat.service', error: ALIAS },
      { filePath: 'ormconfig-probe.ts', from: './libs/core/src/database/data-source-options', error: ALIAS },
      { filePath: 'libs/chat/src/generation/probe.ts', from: '../dto/chat.dto' },
      { filePath: 'libs/chat/src/probe.ts', from: '@agents/agents' },
    ],
  ],
];

describe('dependency rules (eslint.config.mjs)', () => {
  const cases = RULES.flatMap(([, list]) => list);
  let findings: Map<Case, Finding[]>;

  beforeAll(() => {
    const results = lintImports(cases);
    findings = new Map(cases.map((c, i) => [c, results[i]]));
  });

  describe.each(RULES)('%s', (_rule, list) => {
    it.each(list.filter((c) => c.error).map((c) => [c.filePath, c.from, c] as const))(
      '%s importing %s is an error',
      (_file, _from, c) => {
        const errors = findings.get(c)!;
        expect(errors).toEqual([{ ruleId: 'no-restricted-imports', message: expect.stringContaining(c.error!) }]);
      },
    );

    it.each(list.filter((c) => !c.error).map((c) => [c.filePath, c.from, c] as const))(
      '%s importing %s is allowed',
      (_file, _from, c) => {
        expect(findings.get(c)).toEqual([]);
      },
    );
  });
});
