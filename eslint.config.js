import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const restrict = (...patterns) => [
  'error',
  { patterns: patterns.map((p) => ({ group: [p.group].flat(), message: p.message })) },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'web/dist/', 'test-results/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  // Tests read JSON bodies loosely; the server's own code stays typed.
  {
    files: ['test/**/*.ts', '**/*.test.ts', 'web/e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // Imports flow one way: protocol <- server, protocol <- web; routes/realtime -> services -> db/bus/presence.
  {
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        group: ['**/server/**', '**/web/**', '../*', '!./*'],
        message: 'protocol/ is the shared wire contract: it imports only zod and itself.',
      }),
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({ group: ['**/web/**'], message: 'The server never imports the web client.' }),
    },
  },
  {
    files: [
      'server/*/service.ts',
      'server/*/access.ts',
      'server/db/**/*.ts',
      'server/bus/**/*.ts',
      'server/presence/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(
        { group: ['**/web/**'], message: 'The server never imports the web client.' },
        {
          group: ['fastify', 'fastify-*', '@fastify/*', 'ws', '**/routes.js', '**/realtime/**', '**/http/**'],
          message: 'Services know nothing of HTTP or WebSocket: the same call serves a request and a frame.',
        },
      ),
    },
  },
  {
    files: ['web/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': restrict({
        group: ['**/server/**'],
        message: 'The web client talks to the server only over the wire (protocol/).',
      }),
    },
  },
);
