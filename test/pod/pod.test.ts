// The real Pod, run by podman: k8s/pod.yaml (with k8s/configmap.yaml and the Secret the
// user creates) is played with `podman kube play` on tailship's real image, nginx serves
// requests, and an in-test collector must receive exactly the lines nginx wrote, with
// Kubernetes metadata; the probes answer; `podman pod stop` lets tailship drain and exit 0
// after shipping what nginx wrote while it stopped. Then the variant the comments give for
// a collector without auth runs the same way, with no Secret at all.
//
// Runs only with TAILSHIP_POD_TEST=1 (CI sets it after `bash test/pod/prepare.sh`, which
// installs podman and builds the images). Then an unusable podman fails the test; it
// never passes silently. Without the variable the file is skipped.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { CHECKPOINT_FILE } from '../../src/checkpoint/checkpoint-store.js';
import { TestCollector } from '../helpers/collector.js';
import { withoutAuth } from '../helpers/k8s-variants.js';
import { freePort, get, podman, podmanExit } from '../helpers/podman.js';
import { waitFor } from '../helpers/wait-for.js';

// Parsed YAML; k8s/ is schema-checked by test/k8s/manifests.test.ts.
type Obj = any;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TAILSHIP_IMAGE = 'localhost/tailship:test';
const NGINX_IMAGE = 'localhost/nginx-bookworm:test';
const REQUESTS = 50;
/** The reclaim step: what nginx writes, a request's padding, and the most the volume may use. */
const RECLAIM_MB = 100;
const RECLAIM_QUERY_BYTES = 4000;
const RECLAIM_BOUND_MIB = 12;
function readManifest(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(REPO, 'k8s', file), 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter((o) => o !== null);
}

// fieldRef paths podman 4.3 cannot resolve (it has no namespaces, nodes or Pod IPs):
// the test sets the value Kubernetes would give a hostNetwork Pod on this machine.
const FIELD_VALUES: Record<string, string> = {
  'metadata.namespace': 'default',
  'spec.nodeName': hostname(),
  'status.podIP': '127.0.0.1',
};

/**
 * The test's copy of k8s/pod.yaml. The only changes: local image names (never pulled),
 * the host network (no CNI here), free ports instead of 80/8686 (podman rejects port
 * mappings on the host network, so `ports` go and probes name the number), and literal
 * values for the Downward API fields podman lacks. Everything else is the file as is.
 */
function podForTest(pod: Obj, ports: { nginx: number; health: number }): Obj {
  const copy = structuredClone(pod);
  copy.spec.hostNetwork = true;
  // log-files (nginx's files for tailship's UID) runs in the nginx image, as in the manifest.
  // podman 4.3 removes a run-once init container in a race with its exit ("cannot remove
  // container … as it is running"), failing the play: keep it ("always" = run at every
  // start of the Pod, what Kubernetes does for a restarted Pod anyway).
  copy.metadata.annotations = { ...copy.metadata.annotations, 'io.podman.annotations.init.container.type': 'always' };
  for (const c of (copy.spec.initContainers ?? []) as Obj[]) {
    if (c.name !== 'log-files') throw new Error(`k8s/pod.yaml has an init container the test does not know: ${c.name}`);
    c.image = NGINX_IMAGE;
    c.imagePullPolicy = 'Never';
  }
  for (const c of copy.spec.containers as Obj[]) {
    const named = new Map<string, number>((c.ports ?? []).map((p: Obj) => [p.name, p.containerPort]));
    delete c.ports;
    c.imagePullPolicy = 'Never';
    if (c.name === 'nginx-container') {
      c.image = NGINX_IMAGE;
      c.env = [...(c.env ?? []), { name: 'NGINX_PORT', value: String(ports.nginx) }];
    } else if (c.name === 'sidecar-container') {
      c.image = TAILSHIP_IMAGE;
      c.env = (c.env as Obj[]).map((e) => {
        if (e.name === 'TAILSHIP_HEALTH_PORT') return { name: e.name, value: String(ports.health) };
        const path = e.valueFrom?.fieldRef?.fieldPath as string | undefined;
        if (path && FIELD_VALUES[path] !== undefined) return { name: e.name, value: FIELD_VALUES[path] };
        return e;
      });
      const healthPort = named.get('health');
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const httpGet = c[probe]?.httpGet;
        if (!httpGet) continue;
        const port = typeof httpGet.port === 'string' ? named.get(httpGet.port) : httpGet.port;
        if (port !== healthPort) throw new Error(`k8s/pod.yaml: ${probe} is not on the health port`);
        httpGet.port = ports.health;
      }
    } else {
      throw new Error(`k8s/pod.yaml has a container the test does not know: ${c.name}`);
    }
  }
  return copy;
}

async function podTest(): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;

  // podman must work: this test fails, never skips, once it has been asked for.
  const info = await podman(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}']).catch(
    (error: Error) => {
      throw new Error(`podman is not usable here (run \`bash test/pod/prepare.sh\` as root first): ${error.message}`);
    },
  );
  t.comment(`podman: ${info.stdout.trim()}`);
  for (const image of [TAILSHIP_IMAGE, NGINX_IMAGE]) {
    await podman(['image', 'exists', image]).catch(() => {
      throw new Error(`image ${image} is missing: run \`bash test/pod/prepare.sh\` first`);
    });
  }

  await t.test('the image: version, config check, no shell, HEALTHCHECK, labels', async (t) => {
    const { version, license } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const run = ['run', '--rm', '--read-only', '--network', 'none', TAILSHIP_IMAGE];
    t.equal((await podman([...run, '--version'])).stdout.trim(), `tailship ${version}`, '--version');
    const bad = await podmanExit([...run, '--check-config']);
    t.equal(bad.code, 78, '--check-config without a collector URL exits 78');
    t.match(bad.stderr, /TAILSHIP_COLLECTOR_URL/, 'and names the variable');
    const withUrl = [...run.slice(0, -1), '-e', 'TAILSHIP_COLLECTOR_URL=http://127.0.0.1:9/', TAILSHIP_IMAGE];
    const good = await podmanExit([...withUrl, '--check-config']);
    t.equal(good.code, 0, '--check-config with one exits 0');
    t.doesNotThrow(() => JSON.parse(good.stdout), 'and prints the effective configuration as JSON');
    const shell = await podmanExit(['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', TAILSHIP_IMAGE]);
    t.not(shell.code, 0, 'there is no /bin/sh in the image');

    const image = JSON.parse((await podman(['image', 'inspect', TAILSHIP_IMAGE])).stdout)[0];
    t.equal(image.Config.User, '10001:10001', 'USER 10001:10001');
    t.equal(image.Config.StopSignal, 'SIGTERM', 'STOPSIGNAL SIGTERM');
    t.match(image.Config.Labels, {
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.licenses': license,
      'org.opencontainers.image.source': String,
    }, 'OCI labels');
    const size = Number((await podman(['image', 'inspect', TAILSHIP_IMAGE, '--format', '{{.Size}}'])).stdout);
    t.comment(`image size: ${(size / 2 ** 20).toFixed(0)} MiB`);

    // The image's own HEALTHCHECK (node asking /healthz; there is no curl), on a plain
    // container with a read-only root: healthy, then SIGTERM → exit 0.
    const port = await freePort();
    const name = `tailship-healthcheck-${process.pid}`;
    const env = [
      `TAILSHIP_HEALTH_PORT=${port}`,
      'TAILSHIP_COLLECTOR_URL=http://127.0.0.1:9/',
      'TAILSHIP_INCLUDE=/none/*.log',
    ];
    const envArgs = env.flatMap((e) => ['-e', e]);
    await podman(['run', '-d', '--name', name, '--read-only', '--network', 'host', ...envArgs, TAILSHIP_IMAGE]);
    try {
      const healthy = await waitFor(
        'HEALTHCHECK to pass',
        async () => (await podmanExit(['healthcheck', 'run', name])).code === 0,
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      t.ok(healthy, 'HEALTHCHECK passes');
      await podman(['stop', '-t', '30', name], 45_000);
      const exitCode = (await podman(['inspect', name, '--format', '{{.State.ExitCode}}'])).stdout.trim();
      t.equal(exitCode, '0', 'SIGTERM: exit 0');
    } finally {
      await podman(['rm', '-f', '-v', name]).catch(() => undefined);
    }
  });

  const [pod] = readManifest('pod.yaml');
  const [configMap] = readManifest('configmap.yaml');
  // The Secret the user creates (kubectl create secret generic … --from-file=token=…).
  const tokenFile: string = pod.spec.containers
    .find((c: Obj) => c.name === 'sidecar-container')
    .env.find((e: Obj) => e.name === 'TAILSHIP_AUTH_BEARER_TOKEN_FILE').value;
  const secret: Obj = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: pod.spec.volumes.find((v: Obj) => v.name === 'collector-auth').secret.secretName },
    data: { [tokenFile.slice(tokenFile.lastIndexOf('/') + 1)]: Buffer.from('pod-test-token').toString('base64') },
  };
  const podName: string = pod.metadata.name;
  const graceSeconds: number = pod.spec.terminationGracePeriodSeconds;
  const sidecarName = `${podName}-sidecar-container`;
  const nginxName = `${podName}-nginx-container`;

  const collector = new TestCollector();
  const collectorUrl = await collector.start();
  const ports = { nginx: await freePort(), health: await freePort() };
  const testConfigMap = structuredClone(configMap);
  testConfigMap.data.TAILSHIP_COLLECTOR_URL = collectorUrl;

  const dir = mkdtempSync(join(tmpdir(), 'tailship-pod-'));
  const playFile = join(dir, 'pod.yaml');
  writeFileSync(playFile, [testConfigMap, secret, podForTest(pod, ports)].map((o) => stringify(o)).join('---\n'));

  // Leftovers of an interrupted run (podman keeps emptyDirs as named volumes).
  const cleanUp = async () => {
    await podman(['kube', 'down', playFile], 60_000).catch(() => undefined);
    await podman(['pod', 'rm', '-f', '-t', '0', podName]).catch(() => undefined);
    await podman(['secret', 'rm', secret.metadata.name]).catch(() => undefined);
    // podman names a Secret volume after the Secret.
    const volumes = (pod.spec.volumes as Obj[]).map((v) => (v.secret?.secretName ?? v.name) as string);
    await podman(['volume', 'rm', '-f', ...volumes]).catch(() => undefined);
  };
  const sidecarLogs = () => podman(['logs', sidecarName]).catch((e: Error) => ({ stdout: e.message, stderr: '' }));
  t.teardown(async () => {
    if (t.passing() === false) {
      const logs = await sidecarLogs();
      t.comment(`sidecar logs (last 40 lines):\n${(logs.stdout + logs.stderr).split('\n').slice(-40).join('\n')}`);
    }
    await cleanUp();
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await cleanUp();

  await t.test('podman kube play k8s/pod.yaml', async (t) => {
    await podman(['kube', 'play', playFile], 120_000);
    t.comment(`played, ${elapsed()} into the test`);
    const state = await podman(['pod', 'inspect', podName, '--format', '{{.State}}']);
    t.equal(state.stdout.trim(), 'Running', 'the Pod runs');
    // What the securityContext asked for is what podman ran.
    const inspect = JSON.parse((await podman(['inspect', sidecarName])).stdout)[0];
    t.equal(inspect.Config.User, '10001:10001', 'the sidecar runs as 10001:10001');
    t.equal(inspect.HostConfig.ReadonlyRootfs, true, 'with a read-only root filesystem');
    t.equal(inspect.Config.StopSignal, 15, 'STOPSIGNAL SIGTERM');
    const sidecar = pod.spec.containers.find((c: Obj) => c.name === 'sidecar-container');
    t.strictSame(
      inspect.Mounts.map((m: Obj) => [m.Destination, m.RW]).sort(),
      sidecar.volumeMounts.map((m: Obj) => [m.mountPath, !m.readOnly]).sort(),
      'every volume of the sidecar is mounted, read-only where asked (the Secret too)',
    );
  });

  await t.test('the probes answer through the container', async (t) => {
    const ready = await waitFor(
      'tailship /readyz',
      async () => {
        const status = (await podman(['inspect', sidecarName, '--format', '{{.State.Status}}'])).stdout.trim();
        if (status !== 'running') throw new Error(`sidecar is ${status}:\n${(await sidecarLogs()).stdout}`);
        return (await get(ports.health, '/readyz').catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    t.ok(ready, `/readyz 200 after ${elapsed()}`);
    const sidecar = pod.spec.containers.find((c: Obj) => c.name === 'sidecar-container');
    for (const probe of ['livenessProbe', 'readinessProbe']) {
      const path: string = sidecar[probe].httpGet.path;
      t.equal((await get(ports.health, path)).status, 200, `${probe}: ${path} answers 200`);
    }
    const metrics = await get(ports.health, '/metrics');
    t.equal(metrics.status, 200, '/metrics answers');
    t.match(metrics.body, /^# (HELP|TYPE) /m, '/metrics is Prometheus text');
    const status = await get(ports.health, '/status');
    t.equal(status.status, 200, '/status answers');
    t.doesNotThrow(() => JSON.parse(status.body), '/status is JSON');
    await waitFor('nginx', async () => (await get(ports.nginx, '/').catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  });

  const accessRecords = () => collector.records.filter((r) => r['file'] === '/pod-data/access.log');

  await t.test(`nginx serves ${REQUESTS} requests; the collector gets exactly those lines`, async (t) => {
    const before = accessRecords().length; // the readiness GET on / above
    for (let i = 0; i < REQUESTS; i++) {
      const res = await get(ports.nginx, `/?request=${i}`);
      if (res.status !== 200) t.fail(`request ${i}: HTTP ${res.status}`);
    }
    await waitFor(
      `${before + REQUESTS} access lines at the collector`,
      () => {
        const ours = accessRecords().filter((r) => /[?&]request=\d+/.test(r['message']));
        return ours.length >= REQUESTS;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const ours = accessRecords().filter((r) => /[?&]request=\d+/.test(r['message']));
    t.equal(ours.length, REQUESTS, `exactly ${REQUESTS} access lines for the requests (shipped by ${elapsed()})`);
    const seen = new Set(ours.map((r) => /[?&]request=(\d+)/.exec(r['message'])![1]));
    t.equal(seen.size, REQUESTS, 'every request once');
    t.equal(new Set(accessRecords().map((r) => r['id'])).size, accessRecords().length, 'ids are unique');
    const offsets = accessRecords().map((r) => r['offset'] as number);
    t.ok(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!), 'offsets increase');
    t.match(
      ours[0],
      {
        message: /"GET \/\?request=\d+ HTTP\/1\.1" 200 /,
        file: '/pod-data/access.log',
        kubernetes: {
          pod: podName,
          namespace: FIELD_VALUES['metadata.namespace'],
          node: FIELD_VALUES['spec.nodeName'],
          pod_ip: FIELD_VALUES['status.podIP'],
          container: 'nginx-container',
        },
      },
      'records carry the line and the Kubernetes metadata (pod name through the Downward API)',
    );
    t.ok(
      ours.every((r) => r['kubernetes']?.pod === podName && r['kubernetes']?.container === 'nginx-container'),
      'every record has the metadata',
    );

    // The token travels Pod env (file path) → Secret volume → Authorization header.
    // Kubernetes writes a Secret's data decoded; podman 4.3 writes the base64 text as
    // it is (a podman bug), so on podman the header carries that text.
    const encoded: string = secret.data.token;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const sent = new Set(collector.requests.map((r) => r.headers['authorization']));
    t.equal(sent.size, 1, 'one Authorization value on every request');
    t.ok(
      [`Bearer ${decoded}`, `Bearer ${encoded}`].includes([...sent][0] as string),
      'the Secret\'s token is the bearer token',
    );
    const form = sent.has(`Bearer ${decoded}`) ? 'decoded' : 'base64 text';
    t.comment(`Secret volume content as the runtime wrote it: ${form}`);
  });

  await t.test(`reclaim on: nginx writes ${RECLAIM_MB} MB, the volume stays under ${RECLAIM_BOUND_MIB} MiB, every line once`, async (t) => {
    // The shared volume as the host sees it (podman keeps an emptyDir as a named volume):
    // the space nginx's files use there, sampled while requests come.
    const volume = (await podman(['volume', 'inspect', 'shared-data', '--format', '{{.Mountpoint}}'])).stdout.trim();
    const files = ['access.log', 'error.log'].map((f) => join(volume, f));
    t.equal(statSync(files[0]!).uid, 10001, 'access.log belongs to the sidecar (log-files created it)');
    const used = () => files.reduce((sum, f) => sum + statSync(f).blocks * 512, 0);
    let peak = used();
    const sampler = setInterval(() => (peak = Math.max(peak, used())), 50);
    const padding = 'p'.repeat(RECLAIM_QUERY_BYTES);
    const target = statSync(files[0]!).size + RECLAIM_MB * 1e6;
    const before = accessRecords().length;
    const started = Date.now();
    let requests = 0;
    let failed = 0;
    try {
      // A few clients at once, each waiting for its answer: a steady rate, as real traffic,
      // until nginx has written RECLAIM_MB (bounded: at most twice the requests that takes).
      const most = Math.ceil((2 * RECLAIM_MB * 1e6) / RECLAIM_QUERY_BYTES);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (statSync(files[0]!).size < target && requests < most) {
            const res = await get(ports.nginx, `/?reclaim=${requests++}&${padding}`, 10_000).catch(() => undefined);
            if (res?.status !== 200) failed++;
          }
        }),
      );
      await waitFor(`${requests} reclaim lines at the collector`, () => accessRecords().length - before >= requests, {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      await waitFor('acknowledged bytes freed', () => used() < 4 * 2 ** 20, { timeoutMs: 30_000, intervalMs: 200 });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    t.equal(failed, 0, 'nginx answered every request');
    const ours = accessRecords().slice(before).filter((r) => /[?&]reclaim=\d+/.test(r['message']));
    t.equal(new Set(ours.map((r) => /[?&]reclaim=(\d+)/.exec(r['message'])![1])).size, requests, 'every request once');
    t.equal(ours.length, requests, 'and no line twice');
    t.notOk(ours.some((r) => (r['message'] as string).includes('\u0000')), 'no record holds a NUL byte');
    const written = statSync(files[0]!).size;
    t.ok(written >= target, `access.log is ${(written / 1e6).toFixed(0)} MB long`);
    t.ok(peak < RECLAIM_BOUND_MIB * 2 ** 20, `the volume's space used peaked at ${(peak / 2 ** 20).toFixed(1)} MiB`);
    const metrics = (await get(ports.health, '/metrics')).body;
    t.match(metrics, /^tailship_reclaimed_bytes_total [1-9]/m, 'tailship_reclaimed_bytes_total counts what was freed');
    t.comment(`reclaim in the Pod: ${(written / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s, peak ${(peak / 2 ** 20).toFixed(1)} MiB on the volume`);
  });

  await t.test('podman pod stop: tailship drains what nginx writes while stopping, exits 0', async (t) => {
    const accessBefore = accessRecords().length;
    // Requests keep coming while the Pod stops; each one nginx answered is a line it
    // wrote while stopping, and must reach the collector.
    let answered = 0;
    let stopping = true;
    const traffic = (async () => {
      for (let i = 0; stopping && i < 5_000; i++) {
        const res = await get(ports.nginx, `/?stopping=${i}`, 2_000).catch(() => undefined);
        if (!res) break; // nginx no longer accepts connections
        if (res.status === 200) answered++;
      }
    })();
    const stopStarted = Date.now();
    // podman 4.3 ignores terminationGracePeriodSeconds: pass it as the stop timeout.
    await podman(['pod', 'stop', '-t', String(graceSeconds), podName], (graceSeconds + 30) * 1000);
    stopping = false;
    await traffic;
    const stopSeconds = (Date.now() - stopStarted) / 1000;
    t.comment(`pod stop took ${stopSeconds.toFixed(1)}s; nginx answered ${answered} requests while stopping`);
    t.ok(stopSeconds < graceSeconds, 'stopped within the grace period (not killed)');

    const exit = (name: string) => podman(['inspect', name, '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}']);
    t.equal((await exit(sidecarName)).stdout.trim(), '0 false', 'the sidecar exited 0');
    t.equal((await exit(nginxName)).stdout.trim(), '0 false', 'nginx exited 0');

    const stoppingLines = accessRecords().filter((r) => /[?&]stopping=\d+/.test(r['message']));
    t.equal(stoppingLines.length, answered, 'every request nginx answered while stopping was shipped');
    t.equal(accessRecords().length, accessBefore + answered, 'and nothing else, no duplicates');
    const errorLines = collector.records.filter((r) => r['file'] === '/pod-data/error.log').map((r) => r['message']);
    t.ok(
      errorLines.some((m: string) => /signal 3 \(SIGQUIT\) received|gracefully shutting down/.test(m)),
      "nginx's shutdown notices in error.log were shipped",
    );
    const logs = await sidecarLogs();
    t.match(logs.stdout + logs.stderr, /"msg":"draining"/, 'the sidecar logged its drain');

    // The only writes: checkpoints in the state volume (the root filesystem is read-only).
    const stateVolume = pod.spec.containers
      .find((c: Obj) => c.name === 'sidecar-container')
      .volumeMounts.find((m: Obj) => m.mountPath === configMap.data.TAILSHIP_STATE_DIR).name;
    const mountpoint = (await podman(['volume', 'inspect', stateVolume, '--format', '{{.Mountpoint}}'])).stdout.trim();
    const checkpoint = statSync(join(mountpoint, CHECKPOINT_FILE));
    t.equal(checkpoint.uid, 10001, `${CHECKPOINT_FILE} written by UID 10001 in the state volume`);
    t.match(readFileSync(join(mountpoint, CHECKPOINT_FILE), 'utf8'), /access\.log/, 'it records access.log');
  });

  await t.test('podman kube down', async (t) => {
    await podman(['kube', 'down', playFile], 60_000);
    const left = await podman(['pod', 'exists', podName]).then(
      () => true,
      () => false,
    );
    t.notOk(left, 'the Pod is gone');
    t.comment(`Pod test took ${elapsed()}`);
  });

  await t.test('a collector without auth: the comments\' variant of pod.yaml, no Secret, runs and ships', async (t) => {
    // Names of its own (Pod, containers, volumes), so it cannot meet the Pod above or
    // another test's leftovers.
    const suffix = `noauth-${process.pid}`;
    const variant = structuredClone(pod);
    variant.metadata.name = `tailship-${suffix}`;
    variant.spec = withoutAuth(pod.spec);
    for (const v of variant.spec.volumes as Obj[]) v.name = `${v.name}-${suffix}`;
    for (const c of [...(variant.spec.initContainers ?? []), ...variant.spec.containers] as Obj[]) {
      for (const m of c.volumeMounts ?? []) m.name = `${m.name}-${suffix}`;
    }
    const open = new TestCollector();
    const openUrl = await open.start();
    const variantPorts = { nginx: await freePort(), health: await freePort() };
    const variantConfig = structuredClone(configMap);
    variantConfig.data.TAILSHIP_COLLECTOR_URL = openUrl;
    const file = join(dir, 'noauth.yaml');
    writeFileSync(file, [variantConfig, podForTest(variant, variantPorts)].map((o) => stringify(o)).join('---\n'));
    const sidecar = `${variant.metadata.name}-sidecar-container`;
    const down = async () => {
      await podman(['kube', 'down', file], 60_000).catch(() => undefined);
      await podman(['pod', 'rm', '-f', '-t', '0', variant.metadata.name]).catch(() => undefined);
      await podman(['volume', 'rm', '-f', ...(variant.spec.volumes as Obj[]).map((v) => v.name as string)]).catch(() => undefined);
    };
    t.teardown(async () => {
      await down();
      await open.close();
    });
    await down();

    await podman(['kube', 'play', file], 120_000);
    await waitFor(
      'the no-auth sidecar /readyz',
      async () => {
        const status = (await podman(['inspect', sidecar, '--format', '{{.State.Status}}'])).stdout.trim();
        if (status !== 'running') throw new Error(`sidecar is ${status}:\n${(await podman(['logs', sidecar]).catch((e: Error) => ({ stdout: e.message }))).stdout}`);
        return (await get(variantPorts.health, '/readyz').catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await waitFor('nginx', async () => (await get(variantPorts.nginx, '/').catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const n = 10;
    for (let i = 0; i < n; i++) await get(variantPorts.nginx, `/?noauth=${i}`);
    const ours = () => open.records.filter((r) => /[?&]noauth=\d+/.test(r['message']));
    await waitFor(`${n} access lines at the collector`, () => ours().length >= n, { timeoutMs: 60_000, intervalMs: 100 });
    t.equal(ours().length, n, 'every request shipped once');
    t.ok(open.requests.every((r) => r.headers['authorization'] === undefined), 'no Authorization header: no credentials asked for');
    await podman(['pod', 'stop', '-t', String(graceSeconds), variant.metadata.name], (graceSeconds + 30) * 1000);
    const exit = (await podman(['inspect', sidecar, '--format', '{{.State.ExitCode}}'])).stdout.trim();
    t.equal(exit, '0', 'the sidecar drained and exited 0');
  });
}

if (process.env['TAILSHIP_POD_TEST'] !== '1') {
  t.plan(0, 'Pod end-to-end test: set TAILSHIP_POD_TEST=1 after `bash test/pod/prepare.sh` (CI does both)');
} else {
  await podTest();
}
