import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOCKERFILE = fileURLToPath(new URL('../../docker/Dockerfile', import.meta.url));

/** How the image runs node: the flags before the script, and the runtime ENV (malloc tuning). */
export interface ImageRuntime {
  readonly nodeArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Reads the node flags of the image's ENTRYPOINT and its MALLOC_* ENV from the last
 * stage of docker/Dockerfile (the runtime image), so that a memory test or benchmark
 * measures tailship as the image runs it, and changing the image's tuning changes what
 * they measure. Only the forms the Dockerfile uses are read: exec-form ENTRYPOINT and
 * `ENV K=V ...`, continuation lines joined.
 */
export function imageRuntime(dockerfile = readFileSync(DOCKERFILE, 'utf8')): ImageRuntime {
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  const runtime = joined.slice(joined.search(/^FROM\s.*$(?![\s\S]*^FROM\s)/m) + 1);
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime);
  if (!entry) throw new Error('docker/Dockerfile has no exec-form ENTRYPOINT');
  const argv = JSON.parse(entry[1]!) as string[];
  const script = argv.findIndex((a) => a.endsWith('/main.js'));
  if (script < 1) throw new Error(`docker/Dockerfile ENTRYPOINT does not run main.js: ${entry[1]}`);
  const env: Record<string, string> = {};
  for (const line of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, name, value] of line[1]!.matchAll(/(\w+)=(\S+)/g)) if (name!.startsWith('MALLOC_')) env[name!] = value!;
  }
  return { nodeArgs: argv.slice(1, script), env };
}
