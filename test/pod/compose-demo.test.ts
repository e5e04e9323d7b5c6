// The compose demo's data path, run for real: docker/compose.yaml's nginx, tailship, Loki
// and traffic services are played with `podman kube play` as one Pod, on images made
// locally (test/pod/prepare.sh): Debian's nginx, tailship from docker/Dockerfile, Loki
// 2.7.5 from the real peer binary, the traffic generator on the local Node image. The
// generator's and the test's requests reach nginx; Loki must answer LogQL queries with
// the parsed lines. Grafana cannot be built here: CI leaves it out (the demo's dashboard
// is not exercised), and the README keeps the public images for users.
//
// Why kube play and not podman-compose: on this machine a bridge network passes no
// traffic to the containers, so, like the Pod test, the services run on the host network
// in one Pod, where podman 4.3 ignores hostAliases; the addresses the services use for
// each other (http://loki:3100/…, http://nginx/) become 127.0.0.1 and free ports.
// Everything else — each service's variables, volumes, user and read-only root — is
// read from docker/compose.yaml.
//
// Runs with TAILSHIP_POD_TEST=1 and TAILSHIP_PEERS_DIR (CI sets both, and runs prepare.sh
// after the latter); then a missing image or an unusable podman fails the test.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { freePort, get, podman } from '../helpers/podman.js';
import { waitFor } from '../helpers/wait-for.js';

// Parsed YAML (the compose file is checked by test/k8s/compose-demo.test.ts).
type Obj = any;

const COMPOSE_FILE = fileURLToPath(new URL('../../docker/compose.yaml', import.meta.url));
/** A name of its own: the Pod test plays k8s/pod.yaml at the same time. */
const POD = 'tailship-compose-ci';
const IMAGES: Readonly<Record<string, string>> = {
  nginx: 'localhost/nginx-bookworm:test',
  'log-files': 'localhost/nginx-bookworm:test',
  tailship: 'localhost/tailship:test',
  loki: 'localhost/loki-peer:2.7.5',
  traffic: 'localhost/node24',
};
/** Services CI does not run, and why. */
const LEFT_OUT: Readonly<Record<string, string>> = {
  grafana: 'Grafana cannot be built on this machine (no registry, no build of it among the peers)',
};
const REQUESTS = 40;

/** Compose `environment`, mapping or list form, with `$$` interpolated to `$`. */
function environment(service: Obj): Record<string, string> {
  const env = service.environment ?? {};
  const pairs: Array<[string, string]> = Array.isArray(env)
    ? env.map((e: string) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])
    : Object.entries(env).map(([k, v]) => [k, String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, v.replaceAll('$$', '$')]));
}

/** A bind mount's source as a hostPath volume (podman checks that it is a file or a folder). */
function hostPathOf(path: string): Obj {
  return { path, type: statSync(path).isDirectory() ? 'Directory' : 'File' };
}

/** The Pod of the compose services, on the host network, with `ports[service]` as each one's port. */
function podOf(compose: Obj, ports: Record<string, number>, lokiGrpcPort: number): Obj {
  const services = compose.services as Record<string, Obj>;
  const volumes = new Map<string, Obj>();
  // A URL naming a service (http://loki:3100/…) points at that service's port here.
  const onHost = (value: string) =>
    value.replace(/^(https?:\/\/)([a-z][a-z0-9-]*)(:\d+)?(?=\/|$)/, (whole, scheme: string, host: string) =>
      ports[host] === undefined ? whole : `${scheme}127.0.0.1:${ports[host]}`,
    );
  const initContainers: Obj[] = [];
  const containers = Object.entries(services).flatMap(([name, service]) => {
    if (LEFT_OUT[name] !== undefined) return [];
    const image = IMAGES[name];
    if (image === undefined) throw new Error(`docker/compose.yaml has a service this test does not know: ${name}`);
    const env: Record<string, string> = Object.fromEntries(Object.entries(environment(service)).map(([k, v]) => [k, onHost(v)]));
    if (name === 'nginx') env['NGINX_PORT'] = String(ports['nginx']);
    if (name === 'tailship') env['TAILSHIP_HEALTH_PORT'] = String(ports['tailship']);
    if (name === 'loki') Object.assign(env, { LOKI_HTTP_PORT: String(ports['loki']), LOKI_GRPC_PORT: String(lokiGrpcPort) });
    const mounts = (service.volumes ?? []).map((v: Obj) => {
      const long =
        typeof v === 'string'
          ? (([source, target, mode]) => ({ source, target, read_only: mode === 'ro' }))(v.split(':'))
          : v;
      const bind = long.source.startsWith('.') || long.source.startsWith('/');
      const volumeName = bind ? `${POD}-${name}-${long.target.replaceAll(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}` : `${POD}-${long.source}`;
      volumes.set(
        volumeName,
        bind
          ? { name: volumeName, hostPath: hostPathOf(resolve(dirname(COMPOSE_FILE), long.source)) }
          : { name: volumeName, emptyDir: {} },
      );
      return { name: volumeName, mountPath: long.target, readOnly: long.read_only === true };
    });
    const [uid, gid] = service.user === undefined ? [] : String(service.user).split(':').map(Number);
    const container: Obj = {
      name,
      image,
      imagePullPolicy: 'Never',
      env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
      volumeMounts: mounts,
      securityContext: {
        readOnlyRootFilesystem: service.read_only === true,
        ...(uid === undefined ? {} : { runAsUser: uid, runAsGroup: gid ?? uid }),
        ...(service.cap_drop ? { capabilities: { drop: service.cap_drop, ...(service.cap_add ? { add: service.cap_add } : {}) } } : {}),
        ...((service.security_opt ?? []).includes('no-new-privileges:true') ? { allowPrivilegeEscalation: false } : {}),
      },
    };
    // The compose `command` is the image's arguments (grafana/loki's config path is not
    // this Loki's: its image has its own).
    if (service.command && name !== 'loki') container.command = service.command;
    // A one-shot service the others wait for (log-files: nginx's files for tailship's
    // UID) is an init container: it has run to completion before any other starts.
    if (service.restart === 'no' && service.entrypoint) {
      container.command = (service.entrypoint as string[]).map((a) => a.replaceAll('$$', '$'));
      initContainers.push(container);
      return [];
    }
    return [container];
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    // podman 4.3 removes a run-once init container in a race with its exit: keep it.
    metadata: { name: POD, annotations: { 'io.podman.annotations.init.container.type': 'always' } },
    spec: { hostNetwork: true, restartPolicy: 'Never', initContainers, containers, volumes: [...volumes.values()] },
  };
}

async function composeTest(): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  for (const image of Object.values(IMAGES)) {
    await podman(['image', 'exists', image]).catch(() => {
      throw new Error(`image ${image} is missing: run \`bash test/pod/prepare.sh\` with TAILSHIP_PEERS_DIR set first`);
    });
  }
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'));
  for (const [name, why] of Object.entries(LEFT_OUT)) t.comment(`left out: ${name}: ${why}`);
  const ports: Record<string, number> = { nginx: await freePort(), loki: await freePort(), tailship: await freePort() };
  const pod = podOf(compose, ports, await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'tailship-compose-'));
  const playFile = join(dir, 'compose-pod.yaml');
  writeFileSync(playFile, stringify(pod));

  const cleanUp = async () => {
    await podman(['kube', 'down', playFile], 60_000).catch(() => undefined);
    await podman(['pod', 'rm', '-f', '-t', '0', POD]).catch(() => undefined);
    const named = (pod.spec.volumes as Obj[]).filter((v) => v.emptyDir).map((v) => v.name as string);
    await podman(['volume', 'rm', '-f', ...named]).catch(() => undefined);
  };
  t.teardown(async () => {
    if (t.passing() === false) {
      for (const c of ['tailship', 'loki', 'traffic']) {
        const logs = await podman(['logs', `${POD}-${c}`]).catch((e: Error) => ({ stdout: e.message, stderr: '' }));
        t.comment(`${c} logs (last 20 lines):\n${(logs.stdout + logs.stderr).split('\n').slice(-20).join('\n')}`);
      }
    }
    await cleanUp();
    rmSync(dir, { recursive: true, force: true });
  });
  await cleanUp();

  await t.test('podman kube play: the compose services as one Pod', async (t) => {
    await podman(['kube', 'play', playFile], 180_000);
    t.equal((await podman(['pod', 'inspect', POD, '--format', '{{.State}}'])).stdout.trim(), 'Running', `the Pod runs (${elapsed()})`);
    const inspect = JSON.parse((await podman(['inspect', `${POD}-tailship`])).stdout)[0];
    t.equal(inspect.Config.User, '10001:10001', "tailship runs as compose's user");
    t.equal(inspect.HostConfig.ReadonlyRootfs, true, 'with a read-only root');
  });

  const loki = `http://127.0.0.1:${ports['loki']}`;
  const count = async (logql: string): Promise<number> => {
    const res = await fetch(`${loki}/loki/api/v1/query?${new URLSearchParams({ query: logql })}`, { signal: AbortSignal.timeout(30_000) });
    if (res.status !== 200) return -1; // still starting: its query frontend answers 500
    const result = ((await res.json()) as Obj).data.result as Obj[];
    return result.length === 0 ? 0 : Number(result[0].value[1]);
  };

  await t.test('traffic reaches nginx; Loki answers with the parsed lines', async (t) => {
    await waitFor('nginx', async () => (await get(ports['nginx']!, '/').catch(() => undefined))?.status === 200, { timeoutMs: 60_000, intervalMs: 200 });
    await waitFor('tailship /readyz', async () => (await get(ports['tailship']!, '/readyz').catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    for (let i = 0; i < REQUESTS; i++) {
      const res = await get(ports['nginx']!, `/?compose=${i}`);
      if (res.status !== 200) t.fail(`request ${i}: HTTP ${res.status}`);
    }
    const ours = `{job="tailship", service="nginx", filename="/pod-data/access.log"} |= "compose="`;
    await waitFor(`${REQUESTS} of the test's lines in Loki`, async () => (await count(`sum(count_over_time(${ours} [1h]))`)) >= REQUESTS, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    t.equal(await count(`sum(count_over_time(${ours} [1h]))`), REQUESTS, `the test's ${REQUESTS} requests, once each (${elapsed()})`);
    t.equal(
      await count(`sum(count_over_time(${ours} | json | method="GET" | status="200" | remote_addr="127.0.0.1" [1h]))`),
      REQUESTS,
      'parsed: | json finds method, status and remote_addr in every one',
    );
    const generator = `{job="tailship", filename="/pod-data/access.log"} | json | path!~"/[?]compose=.*"`;
    await waitFor("the traffic generator's lines in Loki", async () => (await count(`sum(count_over_time(${generator} [1h]))`)) > 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const notFound = await count(`sum(count_over_time({job="tailship"} | json | path="/missing" | status="404" [1h]))`);
    t.comment(`the traffic generator's requests in Loki: ${await count(`sum(count_over_time(${generator} [1h]))`)} (404s for /missing: ${notFound})`);
    const res = await fetch(
      `${loki}/loki/api/v1/query_range?${new URLSearchParams({ query: ours, limit: '1', direction: 'forward', start: String((Date.now() - 3_600_000) * 1e6) })}`,
    );
    const [stream] = ((await res.json()) as Obj).data.result as Obj[];
    const record = JSON.parse(stream.values[0][1]);
    t.match(
      stream.stream,
      { job: 'tailship', service: 'nginx', filename: '/pod-data/access.log' },
      "the stream's labels are compose's TAILSHIP_LOKI_LABELS",
    );
    t.match(
      record,
      { message: /"GET \/\?compose=\d+ HTTP\/1\.1" 200 /, file: '/pod-data/access.log', method: 'GET', path: /^\/\?compose=\d+$/, status: 200, kubernetes: { container: 'nginx' } },
      'the line is the whole parsed record (TAILSHIP_LOKI_LINE=json)',
    );
    t.comment(`stored: ${JSON.stringify(stream.stream)} ${stream.values[0][1].slice(0, 400)}`);
  });

  await t.test('podman kube down', async (t) => {
    await podman(['kube', 'down', playFile], 90_000);
    t.notOk(await podman(['pod', 'exists', POD]).then(() => true, () => false), 'the Pod is gone');
    t.comment(`compose data path took ${elapsed()}`);
  });
}

if (process.env['TAILSHIP_POD_TEST'] !== '1' || !process.env['TAILSHIP_PEERS_DIR']) {
  t.plan(0, 'compose demo data path: set TAILSHIP_POD_TEST=1 and TAILSHIP_PEERS_DIR after `bash test/pod/prepare.sh` (CI does)');
} else {
  await composeTest();
}
