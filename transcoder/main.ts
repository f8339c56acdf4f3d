#!/usr/bin/env node
// Entrypoint of livestream-transcoder: flags and environment, JSON logs, signals.
import { runMain } from '../lib/cli.js';
import { Logger, parseLevel } from '../lib/log.js';
import { Shutdown } from '../lib/shutdown.js';
import { startTranscoder } from './app.js';
import { command } from './cli.js';

await runMain(command, async (options) => {
  const log = new Logger({ program: 'livestream-transcoder' }, { level: parseLevel(options.logLevel) });
  // ffmpeg gets 5 s to finish its segment and playlists after SIGTERM; the servers close after it.
  const shutdown = new Shutdown({ graceMs: 10_000, log });
  shutdown.listen();
  const transcoder = await startTranscoder(options, log);
  shutdown.add('transcoder', () => transcoder.stop());
});
