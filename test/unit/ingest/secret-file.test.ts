import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SecretFile, type SecretChange } from '../../../ingest/auth/secret-file.js';

function fakeFile(initial: string | Error) {
  let content: string | Error = initial;
  return {
    set(next: string | Error) {
      content = next;
    },
    read: async () => {
      if (content instanceof Error) throw content;
      return content;
    },
  };
}

const enoent = () => Object.assign(new Error('gone'), { code: 'ENOENT' });

describe('SecretFile', () => {
  test('loads the trimmed value and reports changes once', async () => {
    const file = fakeFile('first-secret-value\n');
    const secret = new SecretFile({
      name: 'stream key',
      path: '/s/key',
      pollIntervalMs: 1000,
      read: file.read,
    });
    const changes: SecretChange[] = [];
    secret.onChange((c) => changes.push(c));
    assert.equal(await secret.reload(), true);
    assert.equal(secret.value, 'first-secret-value');
    assert.equal(await secret.reload(), false);
    file.set('second-secret-value');
    assert.equal(await secret.reload(), true);
    assert.deepEqual(changes, [
      { previous: undefined, current: 'first-secret-value' },
      { previous: 'first-secret-value', current: 'second-secret-value' },
    ]);
  });

  test('a missing file leaves no value and says why', async () => {
    const file = fakeFile(enoent());
    const secret = new SecretFile({
      name: 'stream key',
      path: '/s/key',
      pollIntervalMs: 1000,
      read: file.read,
    });
    await secret.reload();
    assert.equal(secret.value, undefined);
    assert.equal(secret.problem, 'stream key file /s/key cannot be read (ENOENT)');
  });

  test('an invalid value is refused with the rule it breaks', async () => {
    const file = fakeFile('short');
    const secret = new SecretFile({
      name: 'play token',
      path: '/s/token',
      pollIntervalMs: 1000,
      read: file.read,
    });
    await secret.reload();
    assert.equal(secret.problem, 'play token in /s/token is 5 characters long; at least 8 are required');
  });

  test('a bad reload keeps the last valid value and reports the problem once', async () => {
    const file = fakeFile('good-secret-value');
    const secret = new SecretFile({
      name: 'stream key',
      path: '/s/key',
      pollIntervalMs: 1000,
      read: file.read,
    });
    const problems: string[] = [];
    secret.onError((p) => problems.push(p));
    await secret.reload();
    file.set('');
    await secret.reload();
    await secret.reload();
    assert.equal(secret.value, 'good-secret-value');
    assert.deepEqual(problems, ['stream key in /s/key is empty']);
  });
});
