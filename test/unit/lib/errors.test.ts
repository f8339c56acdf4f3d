import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, errorCatalog, ErrorCodes } from '../../../lib/errors.js';

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const missing = Object.keys(errorCatalog).filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('coded errors keep their code, name and cause', () => {
  const cause = new Error('root');
  const err = new ConfigError('bad', { cause });
  assert.equal(err.code, ErrorCodes.CONFIG_INVALID);
  assert.equal(err.name, 'ConfigError');
  assert.equal(err.cause, cause);
});
