// @ts-check
import { readdirSync } from 'node:fs';
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/*
 * Import rules: what a folder may import (docs/architecture.md § Dependency rules). ESLint's flat
 * config does not merge `no-restricted-imports` across blocks: a later block that sets it for a
 * file REPLACES the patterns of an earlier one. So every block below states the whole list for its
 * files — the shared patterns plus the folder's own — and test/lint-rules.e2e-spec.ts proves each
 * rule on a deliberate violation.
 */

/** @param {string[]} group @param {string} message */
const pattern = (group, message) => ({ group, message });

/**
 * Libraries are imported through their alias, never by a path into another library's folder
 * (`../../../libs/agents/src/…` from an app, `../../agents/src/…` from a library).
 */
const THROUGH_ALIAS = [
  pattern(
    ['../../libs/*', '../../../libs/*', '**/libs/*/src/*', '**/libs/*/src'],
    'Import libraries through their @agents/* alias',
  ),
  { regex: '^(\\.\\./)+[a-z-]+/src(/|$)', message: 'Import libraries through their @agents/* alias' },
];

/** A library never imports an app: apps are composition roots, nothing depends on them. */
const NO_APP = pattern(
  ['**/apps/*', '**/apps/*/**'],
  'A library never imports an app (apps/*): apps compose libraries, not the other way round',
);

/** Production code never imports test support (it is not even part of the build). */
const NO_TESTING = pattern(
  ['@agents/testing', '@agents/testing/*', '**/test/support', '**/test/support/*'],
  'Production code never imports test support (@agents/testing is for *.spec.ts and *.int-spec.ts only)',
);

/** Specs reach test support through its alias, not through ../../../test/support. */
const TESTING_THROUGH_ALIAS = pattern(
  ['**/test/support', '**/test/support/*'],
  'Import test support through its @agents/testing/* alias',
);

/**
 * @param {string} from the folder the rule is about
 * @param {string[]} libs the libraries it must not import
 * @param {string} why
 */
const forbid = (from, libs, why) =>
  pattern(
    libs.flatMap((lib) => [`@agents/${lib}`, `@agents/${lib}/*`]),
    `${from} never imports ${libs.map((l) => `@agents/${l}`).join(' or ')}: ${why}`,
  );

/** The layering: which folder must not import which library, and why. */
const LAYERS = {
  'apps/api': [
    forbid(
      'apps/api',
      ['providers', 'tools'],
      'the api never builds a provider client or runs a tool, the worker side does (@agents/generation)',
    ),
  ],
  'libs/streaming': [
    forbid('libs/streaming', ['agents', 'chat'], 'the event bus is transport only and knows no agent or chat'),
  ],
  'libs/acl': [forbid('libs/acl', ['agents'], 'permissions are generic over resources; agents builds on acl')],
  'libs/versions': [forbid('libs/versions', ['agents'], 'agents builds on versions, not the other way round')],
  'libs/providers': [
    forbid('libs/providers', ['chat', 'generation'], 'providers speak to vendors and know nothing of chat'),
  ],
  'libs/chat': [
    forbid(
      'libs/chat',
      ['generation'],
      'chat serves HTTP and queues jobs; the worker side (generation) builds on chat, never the reverse',
    ),
  ],
};

const SPECS = ['**/*.spec.ts', '**/*.int-spec.ts'];

/**
 * Two blocks per app and per library (every folder under libs/, so a new library gets the shared
 * rules without being listed): production files, then specs. Rules apply to specs too, except
 * that specs may import @agents/testing.
 * @param {string} folder
 */
function importRules(folder) {
  const shared = folder.startsWith('libs/') ? [...THROUGH_ALIAS, NO_APP] : THROUGH_ALIAS;
  const own = LAYERS[/** @type {keyof typeof LAYERS} */ (folder)] ?? [];
  return [
    {
      files: [`${folder}/**/*.ts`],
      ignores: SPECS.map((glob) => `${folder}/${glob}`),
      rules: { 'no-restricted-imports': ['error', { patterns: [...shared, ...own, NO_TESTING] }] },
    },
    {
      files: SPECS.map((glob) => `${folder}/${glob}`),
      rules: { 'no-restricted-imports': ['error', { patterns: [...shared, ...own, TESTING_THROUGH_ALIAS] }] },
    },
  ];
}

const folders = [
  ...['api', 'worker'].map((app) => `apps/${app}`),
  ...readdirSync(new URL('./libs', import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `libs/${entry.name}`),
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'bench/.results/**',
      'jest.config.js',
      'test/support/node-environment.js',
      'eslint.config.mjs',
      // Plain JavaScript run by node as a child process (the MCP test server); no tsconfig covers it.
      'test/support/*.mjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: THROUGH_ALIAS }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through AppConfig (libs/core/src/config)' },
      ],
    },
  },
  ...folders.flatMap(importRules),
  {
    files: ['libs/core/src/config/app-config.ts', 'test/**/*.ts', 'bench/**/*.ts', 'ormconfig.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The e2e suites, their support and the benchmarks drive the apps from outside (they import
    // app modules and library internals on purpose): no import rule applies there.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', ...SPECS, 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
