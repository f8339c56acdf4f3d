// The origin's rules, pure: which request paths map to which files, their content type, cache
// policy and metric kind. Only the file types ffmpeg writes are served, never a dotfile or a
// temporary file, and never anything outside the output folder.
import path from 'node:path';

export type RequestKind =
  'master' | 'playlist' | 'manifest' | 'init' | 'segment' | 'preview' | 'player' | 'other';

export interface FileRule {
  contentType: string;
  cacheControl: string;
  kind: RequestKind;
}

/** Playlists change every segment: caches may keep them for a second at most. */
export const PLAYLIST_CACHE = 'public, max-age=1';
/** HLS segment names are never reused (numbering continues across restarts). */
export const SEGMENT_CACHE = 'public, max-age=31536000, immutable';
/** Init segments and DASH chunks are rewritten under the same name when ffmpeg restarts. */
export const REUSED_NAME_CACHE = 'public, max-age=2';

/** The rule for a file name, or undefined when the origin does not serve that kind of file. */
export function ruleFor(name: string): FileRule | undefined {
  if (name === 'master.m3u8')
    return { contentType: 'application/vnd.apple.mpegurl', cacheControl: PLAYLIST_CACHE, kind: 'master' };
  if (name.endsWith('.m3u8'))
    return { contentType: 'application/vnd.apple.mpegurl', cacheControl: PLAYLIST_CACHE, kind: 'playlist' };
  if (name.endsWith('.mpd'))
    return { contentType: 'application/dash+xml', cacheControl: PLAYLIST_CACHE, kind: 'manifest' };
  if (/^init[-_.]/.test(name) && /\.(mp4|m4s)$/.test(name))
    return { contentType: 'video/mp4', cacheControl: REUSED_NAME_CACHE, kind: 'init' };
  if (/^seg_\d+\.m4s$/.test(name))
    return { contentType: 'video/iso.segment', cacheControl: SEGMENT_CACHE, kind: 'segment' };
  if (name.endsWith('.m4s'))
    return { contentType: 'video/iso.segment', cacheControl: REUSED_NAME_CACHE, kind: 'segment' };
  return undefined;
}

/**
 * The file a URL path names inside `root`, or undefined when it names nothing servable: `..`,
 * encoded slashes or NUL, hidden files, or a path that resolves outside the folder. `/hls/` is an
 * alias of `/` (the playback URL the operator's status shows).
 */
export function resolveFile(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const relative = decoded.replace(/^\/hls(?=\/)/, '').replace(/^\/+/, '');
  const parts = relative.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.'))) return undefined;
  if (parts.length > 2) return undefined; // the layout is at most <rendition>/<file>
  const file = path.resolve(root, ...parts);
  if (!file.startsWith(path.resolve(root) + path.sep)) return undefined;
  return file;
}

/**
 * ffmpeg 5.1's master playlist has no FRAME-RATE: add it to each variant from what the ladder
 * encodes (HLS spec 4.4.6.2: "SHOULD be included" for video).
 */
export function withFrameRates(master: string, rateByPlaylist: ReadonlyMap<string, number | null>): string {
  const lines = master.split('\n');
  return lines
    .map((line, i) => {
      if (!line.startsWith('#EXT-X-STREAM-INF:') || line.includes('FRAME-RATE=')) return line;
      const uri = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.startsWith('#'));
      const rate = uri === undefined ? undefined : rateByPlaylist.get(uri.trim());
      return rate ? `${line},FRAME-RATE=${rate.toFixed(3)}` : line;
    })
    .join('\n');
}
