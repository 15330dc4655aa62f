// ESLint for the web shop's modules (resources/storefront/assets): the recommended rules, in
// the browser, as ES modules. Run by CTest (storefront.lint) with ESLint from tests/peers.
import js from '../peers/node_modules/@eslint/js/src/index.js';
import globals from '../peers/node_modules/globals/index.js';

export default [
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    files: ['**/*.test.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
];
