import type { Config } from './config/config.js';
import { prepareStateDir } from './checkpoint/checkpoint-store.js';
import { checkReclaimable } from './reclaim/writable-check.js';
import { readSecretFileSync } from './ship/auth.js';
import { tlsConnectOptions } from './ship/tls-options.js';
import { globSet } from './tail/glob-set.js';

/**
 * The start-up checks of what the configuration points at, beyond its syntax: the state
 * dir can be created and written; the CA, certificate and key files (for an https://
 * collector) are readable PEM that make a TLS context; a token or password file is
 * readable and not empty; with TAILSHIP_RECLAIM_ACKED, the log files can be opened for
 * writing (reclaim/writable-check.ts). `--check-config` and start-up both run it, so a check that
 * passes means start-up will (while the files stay as they are), and one that fails
 * gives the message start-up would. With `check` the state dir is left as it was found.
 * Throws TailshipError: ERR_STATE_DIR, ERR_TLS_CONFIG, ERR_AUTH_FILE or ERR_RECLAIM_NOT_WRITABLE.
 */
export async function preflight(config: Config, options: { readonly check: boolean }): Promise<void> {
  await prepareStateDir(config.state.dir, !options.check);
  if (config.delivery.url.protocol === 'https:') tlsConnectOptions(config.tls);
  const { bearerTokenFile, basicPasswordFile } = config.auth;
  if (bearerTokenFile !== undefined) readSecretFileSync(bearerTokenFile, 'TAILSHIP_AUTH_BEARER_TOKEN_FILE');
  if (basicPasswordFile !== undefined) readSecretFileSync(basicPasswordFile, 'TAILSHIP_AUTH_BASIC_PASSWORD_FILE');
  if (config.disk.reclaimAcked) await checkReclaimable(globSet(config.sources.include, config.sources.exclude));
}
