// Pure credential handling: where a publisher's stream key and a puller's play token sit in an RTMP
// request, what a valid secret looks like, and a comparison that takes the same time for every guess.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The RTMP application every request must use: rtmp://host:1935/live/... */
export const APP = 'live';
/** The one stream this ingest serves internally (what pullers ask for). */
export const STREAM_NAME = 'stream';
export const STREAM_PATH = `/${APP}/${STREAM_NAME}`;

export const SECRET_MIN_LENGTH = 8;
export const SECRET_MAX_LENGTH = 256;
// URL-safe (base64url, hex, UUIDs) plus "+", "=" and "." so standard base64 without "/" works too:
// the key must survive as the last path element of an RTMP URL and as a query value.
const SECRET_PATTERN = /^[A-Za-z0-9._~+=-]+$/;

/** Returns why `value` cannot be a stream key or play token, or undefined when it can. */
export function secretProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length < SECRET_MIN_LENGTH)
    return `is ${value.length} characters long; at least ${SECRET_MIN_LENGTH} are required`;
  if (value.length > SECRET_MAX_LENGTH)
    return `is ${value.length} characters long; at most ${SECRET_MAX_LENGTH} are allowed`;
  if (!SECRET_PATTERN.test(value)) return 'contains characters other than letters, digits and . _ ~ + = -';
  return undefined;
}

/** Reads a secret from file content: surrounding whitespace (a trailing newline) is not part of it. */
export function secretFromFile(content: string): string {
  return content.trim();
}

/**
 * Compares a presented secret with the expected one in constant time: both are hashed first, so
 * neither the position of the first wrong character nor the expected length leaks through timing.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

/** An RTMP publish or play request, split into its parts (the raw name carries the query). */
export interface StreamRequest {
  /** The `app` of the connect command, e.g. "live" (a query such as "live?key=..." is split off). */
  app: string;
  /** The stream name without its query, e.g. "stream" or the OBS-style key. */
  name: string;
  /** Query parameters of the stream name, then of the app (stream name wins). */
  query: Record<string, string>;
}

/** Parses "a=1&b=2" without turning "+" into a space (keys may contain "+"). Bad escapes stay raw. */
export function parseQuery(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = safeDecode(rawKey);
    if (!(key in out)) out[key] = safeDecode(rawValue);
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function splitQuery(text: string): [string, string] {
  const q = text.indexOf('?');
  return q < 0 ? [text, ''] : [text.slice(0, q), text.slice(q + 1)];
}

/** Splits the connect command's app and the publish/play stream name into a StreamRequest. */
export function parseStreamRequest(app: string, streamName: string): StreamRequest {
  const [appName, appQuery] = splitQuery(app);
  const [name, nameQuery] = splitQuery(streamName);
  return {
    app: appName.replace(/\/+$/, ''),
    name,
    query: { ...parseQuery(appQuery), ...parseQuery(nameQuery) },
  };
}

export type Refusal =
  | 'invalid_path'
  | 'missing_key'
  | 'wrong_key'
  | 'missing_token'
  | 'wrong_token'
  | 'key_unavailable'
  | 'token_unavailable';

/**
 * The key a publisher presented: `?key=` when given (any stream name), otherwise the stream name
 * itself (OBS puts its "Stream Key" there). Undefined when the request names no key at all.
 */
export function presentedKey(req: StreamRequest): string | undefined {
  if (req.query.key !== undefined && req.query.key !== '') return req.query.key;
  if (req.name !== '' && req.name !== STREAM_NAME) return req.name;
  return undefined;
}

/** Checks the path shape shared by publish and play: app "live" and a single, non-empty name. */
function pathRefusal(req: StreamRequest): Refusal | undefined {
  if (req.app !== APP) return 'invalid_path';
  if (req.name === '' || req.name.includes('/')) return 'invalid_path';
  return undefined;
}

/** Decides a publish: undefined when allowed, otherwise why not. `key` is undefined while not loaded. */
export function publishRefusal(req: StreamRequest, key: string | undefined): Refusal | undefined {
  const path = pathRefusal(req);
  if (path) return path;
  if (key === undefined) return 'key_unavailable';
  const presented = presentedKey(req);
  if (presented === undefined) return 'missing_key';
  return secretsEqual(presented, key) ? undefined : 'wrong_key';
}

/** Decides a play: only /live/stream with `?token=<play token>`. */
export function playRefusal(req: StreamRequest, token: string | undefined): Refusal | undefined {
  const path = pathRefusal(req);
  if (path) return path;
  if (req.name !== STREAM_NAME) return 'invalid_path';
  if (token === undefined) return 'token_unavailable';
  const presented = req.query.token;
  if (presented === undefined || presented === '') return 'missing_token';
  return secretsEqual(presented, token) ? undefined : 'wrong_token';
}
