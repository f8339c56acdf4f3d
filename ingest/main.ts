#!/usr/bin/env node
// Entrypoint of livestream-ingest: flags and environment, JSON logs, signals.
import { runMain } from '../lib/cli.js';
import { Logger } from '../lib/log.js';
import { Shutdown } from '../lib/shutdown.js';
import { startIngest } from './app.js';
import { command, toConfig } from './config.js';

await runMain(command, async (options) => {
  const config = toConfig(options);
  const log = new Logger({ program: 'livestream-ingest' }, { level: config.logLevel });
  // The process must outlive the grace period it gives connections, by a margin for the admin server.
  const shutdown = new Shutdown({ graceMs: config.shutdownTimeoutMs + 2000, log });
  shutdown.listen();
  const ingest = await startIngest(config, log);
  shutdown.add('ingest', () => ingest.stop());
});
