#!/usr/bin/env node
// Entrypoint of livestream-transcoder.
import { runMain } from '../lib/cli.js';

const command = {
  name: 'livestream-transcoder',
  summary:
    'Pulls one LiveStream from its ingest and runs the ffmpeg ABR ladder from its TranscodeProfile, serving HLS/DASH.',
  epilog: 'Not implemented yet: this program only prints this help. See README.md "Status".',
  options: {},
};

await runMain(command, async () => {
  process.stderr.write('livestream-transcoder is not implemented yet (see README.md "Status").\n');
  process.exit(3);
});
