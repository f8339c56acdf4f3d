#!/usr/bin/env node
// Entrypoint of livestream-operator.
import { runMain } from '../lib/cli.js';

const command = {
  name: 'livestream-operator',
  summary: 'Reconciles LiveStream and TranscodeProfile resources into ingest and transcoder workloads.',
  epilog: 'Not implemented yet: this program only prints this help. See README.md "Status".',
  options: {},
};

await runMain(command, async () => {
  process.stderr.write('livestream-operator is not implemented yet (see README.md "Status").\n');
  process.exit(3);
});
