import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseQuery,
  parseStreamRequest,
  playRefusal,
  presentedKey,
  publishRefusal,
  secretProblem,
  secretsEqual,
} from '../../../ingest/auth/keys.js';

const KEY = 'k3y-0123456789abcdef';
const TOKEN = 'tok-0123456789abcdef';

describe('stream key extraction', () => {
  const cases: [string, string, string, string | undefined][] = [
    ['OBS puts the key as the stream name', 'live', KEY, KEY],
    ['?key= on any stream name wins over the name', 'live', `anything?key=${KEY}`, KEY],
    ['?key= on the app (key in the server URL) is read too', `live?key=${KEY}`, 'stream', KEY],
    ['the stream name "stream" alone is no key', 'live', 'stream', undefined],
    ['an empty ?key= is no key', 'live', 'stream?key=', undefined],
    ['"+" in a key stays "+" (not a space)', 'live', 'x?key=a+b%3D', 'a+b='],
  ];
  for (const [name, app, streamName, expected] of cases) {
    test(name, () => assert.equal(presentedKey(parseStreamRequest(app, streamName)), expected));
  }

  test('a trailing slash on the app is ignored', () => {
    assert.equal(parseStreamRequest('live/', KEY).app, 'live');
  });

  test('parseQuery keeps the first value and survives bad escapes', () => {
    assert.deepEqual(parseQuery('a=1&a=2&b=%zz&c'), { a: '1', b: '%zz', c: '' });
  });
});

describe('publish decisions', () => {
  const cases: [string, string, string, string | undefined, string | undefined][] = [
    ['the right key publishes', 'live', KEY, KEY, undefined],
    ['the right key as ?key= publishes', 'live', `stream?key=${KEY}`, KEY, undefined],
    ['a wrong key is refused', 'live', 'k3y-0123456789abcdeX', KEY, 'wrong_key'],
    ['a key that is a prefix of the real one is refused', 'live', KEY.slice(0, -1), KEY, 'wrong_key'],
    ['no key is refused', 'live', 'stream', KEY, 'missing_key'],
    ['another app is refused', 'other', KEY, KEY, 'invalid_path'],
    ['an empty stream name is refused', 'live', '', KEY, 'invalid_path'],
    ['an empty name with only a query is refused', 'live', `?key=${KEY}`, KEY, 'invalid_path'],
    ['a nested name is refused', 'live', `a/${KEY}`, KEY, 'invalid_path'],
    ['nothing publishes while no key is loaded', 'live', KEY, undefined, 'key_unavailable'],
  ];
  for (const [name, app, streamName, key, expected] of cases) {
    test(name, () => assert.equal(publishRefusal(parseStreamRequest(app, streamName), key), expected));
  }
});

describe('play decisions', () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ['/live/stream with the token plays', `stream?token=${TOKEN}`, TOKEN, undefined],
    ['no token is refused', 'stream', TOKEN, 'missing_token'],
    ['a wrong token is refused', 'stream?token=nope-nope-nope', TOKEN, 'wrong_token'],
    ['the stream key is not a play token', `stream?token=${KEY}`, TOKEN, 'wrong_token'],
    ['another stream name is refused', `other?token=${TOKEN}`, TOKEN, 'invalid_path'],
    ['pulling by stream key is refused', `${KEY}?token=${TOKEN}`, TOKEN, 'invalid_path'],
    ['nothing plays while no token is loaded', `stream?token=${TOKEN}`, undefined, 'token_unavailable'],
  ];
  for (const [name, streamName, token, expected] of cases) {
    test(name, () => assert.equal(playRefusal(parseStreamRequest('live', streamName), token), expected));
  }
});

describe('constant-time comparison', () => {
  test('equal secrets match', () => assert.equal(secretsEqual(KEY, KEY), true));
  test('different secrets of the same length do not', () => assert.equal(secretsEqual(KEY, TOKEN), false));
  test('different lengths do not (and do not throw)', () =>
    assert.equal(secretsEqual(KEY, `${KEY}x`), false));
  test('an empty expected secret never matches', () => assert.equal(secretsEqual('', ''), false));
});

describe('secret validation', () => {
  const cases: [string, string, string | undefined][] = [
    ['a base64url key is fine', 'q8Zr-_3kPz0aLm9x', undefined],
    ['an empty secret', '', 'is empty'],
    ['a short secret', 'abc', 'is 3 characters long; at least 8 are required'],
    ['a long secret', 'a'.repeat(257), 'is 257 characters long; at most 256 are allowed'],
    [
      'a slash breaks OBS-style URLs',
      'abcdefgh/ij',
      'contains characters other than letters, digits and . _ ~ + = -',
    ],
    ['whitespace inside', 'abcd efgh', 'contains characters other than letters, digits and . _ ~ + = -'],
  ];
  for (const [name, value, expected] of cases) test(name, () => assert.equal(secretProblem(value), expected));
});
