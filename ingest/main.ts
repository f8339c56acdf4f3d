#!/usr/bin/env node
// Entrypoint of livestream-ingest.
import { runMain } from '../lib/cli.js';

const command = {
  name: 'livestream-ingest',
  summary:
    'RTMP(S) ingest for one LiveStream: stream-key auth, one publisher, live state and metrics (node-media-server underneath).',
  epilog: 'Not implemented yet: this program only prints this help. See README.md "Status".',
  options: {},
};

await runMain(command, async () => {
  process.stderr.write('livestream-ingest is not implemented yet (see README.md "Status").\n');
  process.exit(3);
});
