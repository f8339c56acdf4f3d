// The project's container images, built by images/build.sh (Debian's buildah on a base made locally,
// no Docker engine, no registry). The images test and the real node both come through here.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const imageTargets = ['operator', 'ingest', 'transcoder', 'transcoder-nvidia', 'pause'] as const;
export type ImageTarget = (typeof imageTargets)[number];

export interface BuiltImage {
  target: ImageTarget;
  /** Local name, e.g. localhost/livestream-ingest:dev. */
  ref: string;
  id: string;
  /** Uncompressed bytes of all layers. */
  sizeBytes: number;
  buildSeconds: number;
  /** OCI archive for `ctr images import`, when the build was asked to export. */
  archive: string | null;
}

export interface ImageBuild {
  base: { ref: string; node: string; npm: string } | null;
  seconds: number;
  /** buildah's global flags for the storage the images are in: `buildah ...buildah run ...`. */
  buildah: string[];
  images: BuiltImage[];
}

export interface BuildOptions {
  targets?: readonly ImageTarget[];
  /** Also write OCI archives (needed to load the images into containerd). */
  export?: boolean;
  tag?: string;
  nodeMajor?: 22 | 24;
  /** Each progress line of the build (stderr of images/build.sh). */
  onProgress?: (line: string) => void;
}

export const buildScript = fileURLToPath(new URL('../../../images/build.sh', import.meta.url));

/** Builds (or finds cached) images; resolves with what images/build.sh reports. */
export function buildImages(options: BuildOptions = {}): Promise<ImageBuild> {
  const args: string[] = [];
  if (options.targets) args.push('--targets', options.targets.join(','));
  if (options.export) args.push('--export');
  if (options.tag) args.push('--tag', options.tag);
  if (options.nodeMajor) args.push('--node', String(options.nodeMajor));
  return new Promise((resolve, reject) => {
    const child = spawn(buildScript, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n')) if (line.trim()) options.onProgress?.(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`images/build.sh ${args.join(' ')} failed (exit ${code}):\n${tail}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as ImageBuild);
      } catch (err) {
        reject(new Error(`images/build.sh printed no JSON summary: ${(err as Error).message}`));
      }
    });
  });
}
