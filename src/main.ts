#!/usr/bin/env node
// Entry point: parses flags and the environment, wires the pipeline and the health
// server, and turns signals into a drain. Nothing imports this module.
// First: sizes V8's heap before anything else is loaded (see heap-tuning.ts).
import './heap-tuning.js';
import { readFileSync } from 'node:fs';
import { EXIT_CONFIG, ConfigError, describeConfig, loadConfig, misspellingHint } from './config/load-config.js';
import { EXIT_USAGE, parseCommandLine, USAGE } from './command-line.js';
import { createMetrics } from './health/metrics.js';
import { HealthServer } from './health/health-server.js';
import { createLogger } from './log/logger.js';
import { Pipeline } from './pipeline.js';
import { preflight } from './preflight.js';
import { TailshipError } from './errors.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

async function main(argv: readonly string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  if ('error' in commandLine) {
    process.stderr.write(`tailship: ${commandLine.error}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const { command } = commandLine;
  if (command === 'version') {
    process.stdout.write(`tailship ${version}\n`);
    return 0;
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\nConfigured by TAILSHIP_* environment variables; see README.md.\n`);
    return 0;
  }
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return configurationError(error.message);
    throw error;
  }
  const { config, warnings } = loaded;
  try {
    await preflight(config, { check: command === 'check-config' });
  } catch (error) {
    if (error instanceof TailshipError) return configurationError(error.message, VARIABLE_OF[error.code]);
    throw error;
  }
  if (command === 'check-config') {
    for (const w of warnings) process.stderr.write(`tailship: warning: ${w}\n`);
    process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
    return 0;
  }

  const log = createLogger(config.logLevel);
  for (const w of warnings) log.warn(w);
  const metrics = createMetrics();
  const pipeline = new Pipeline(config, log, metrics, version);
  const health = new HealthServer(pipeline.health, metrics.registry, version);
  let address;
  try {
    address = await health.listen(config.health.port, config.health.host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return configurationError(
      `cannot listen on ${config.health.host}:${config.health.port} (${code}); set TAILSHIP_HEALTH_PORT to a free port`,
      'TAILSHIP_HEALTH_PORT',
    );
  }
  log.info({ port: address.port, version }, 'health server listening');

  try {
    await pipeline.start();
  } catch (error) {
    await health.close();
    // The preflight passed a moment ago; a file changed or vanished since.
    if (error instanceof TailshipError) return configurationError(error.message, VARIABLE_OF[error.code]);
    throw error;
  }

  // First signal: drain. Second: stop now (after the checkpoint).
  const hurry = new AbortController();
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (hurry.signal.aborted) return;
      if (signalReceived) {
        log.warn({ signal }, 'second signal; stopping now');
        hurry.abort();
        return;
      }
      signalReceived = true;
      resolve(signal);
    };
    let signalReceived = false;
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const signal = await signalled;
  log.info({ signal, timeoutMs: config.drain.timeoutMs }, 'draining');
  const unacked = await pipeline.drain(hurry.signal);
  if (unacked > 0) log.warn({ unackedBytes: unacked }, 'drain ended with data unacknowledged; the next start sends it');
  await pipeline.stop();
  await health.close();
  log.info({ drained: unacked === 0 }, 'stopped');
  return 0;
}

/** The variable whose value (perhaps its default) a start-up error is about, by error code. */
const VARIABLE_OF: Readonly<Record<string, string>> = {
  ERR_STATE_DIR: 'TAILSHIP_STATE_DIR',
  ERR_RECLAIM_NOT_WRITABLE: 'TAILSHIP_RECLAIM_ACKED',
};

/**
 * Every start-up failure the user can fix ends here: one line on stderr, exit 78. When
 * the failing value is a default because its `variable` was misspelt, the line says so.
 */
function configurationError(message: string, variable?: string): number {
  const hint = variable === undefined ? '' : misspellingHint(variable, process.env);
  process.stderr.write(`tailship: configuration error: ${message}${hint}\n`);
  return EXIT_CONFIG;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing should keep the loop alive now; exit even if a library left a handle open.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`tailship: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
