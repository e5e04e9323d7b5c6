// The Kubernetes manifests in k8s/ are checked as the API server and tailship would see
// them: every object validates against the Kubernetes schemas (kubernetes-models),
// carries no key the schemas do not know (a typo the API server would drop or reject),
// and gives tailship only variables it reads, with values it accepts.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Pod } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { KNOWN_ENV_NAMES } from '../../src/config/env-spec.js';
import { loadConfig } from '../../src/config/load-config.js';
import { readAheadLimit } from '../../src/ack/memory-budget.js';
import { withoutAuth } from '../helpers/k8s-variants.js';
import { unknownKeys } from './unknown-keys.js';

// Parsed YAML: its shape is what the schema checks below establish, so `any` here.
type Obj = any;
const K8S_DIR = fileURLToPath(new URL('../../k8s/', import.meta.url));

interface Doc {
  readonly file: string;
  readonly object: Obj;
}

function loadManifests(): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(K8S_DIR + file, 'utf8'), { uniqueKeys: true })) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as Obj | null;
      if (object !== null) docs.push({ file, object });
    }
  }
  return docs;
}

interface ModelClass {
  new (data: any): { validate(): void };
  prototype: { validate(): void };
}

const MODELS: Record<string, ModelClass> = {
  'v1/Pod': Pod,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  // The Prometheus Operator's CRD schema (@kubernetes-models/prometheus-operator).
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor as unknown as ModelClass,
};

const docs = loadManifests();
const kustomizationText = readFileSync(K8S_DIR + 'kustomization.yaml', 'utf8');
const kubeObjects = docs.filter((d) => d.object['kind'] !== 'Kustomization');
const only = (kind: string, file: string): Obj => {
  const found = docs.filter((d) => d.object['kind'] === kind && d.file === file);
  if (found.length !== 1) throw new Error(`expected one ${kind} in k8s/${file}, found ${found.length}`);
  return found[0]!.object;
};
const pod = only('Pod', 'pod.yaml');
const deployment = only('Deployment', 'deployment.yaml');
const configMap = only('ConfigMap', 'configmap.yaml');
const podMonitor = only('PodMonitor', 'podmonitor.yaml');
const kustomization = only('Kustomization', 'kustomization.yaml');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VERSION: string = JSON.parse(readFileSync(REPO + 'package.json', 'utf8')).version;
/** The Secret the user creates (kustomization.yaml, k8s/README.md): its name and its one key. */
const SECRET_COMMAND = /kubectl create secret generic ([\w.-]+) --from-file=([\w.-]+)=/;

/** Kubernetes quantity (memory) in bytes: 128Mi, 1Gi, 500M, 1048576. */
function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

/** The sidecar's environment as the kubelet would build it, Downward API values faked. */
function sidecarEnv(container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container['envFrom'] ?? []) {
    const ref = from.configMapRef?.name;
    const cm = kubeObjects.find((d) => d.object['kind'] === 'ConfigMap' && d.object['metadata'].name === ref);
    if (!cm) throw new Error(`envFrom refers to ConfigMap ${ref}, which is not in k8s/`);
    Object.assign(env, cm.object['data']);
  }
  for (const e of container['env'] ?? []) {
    env[e.name] = e.value ?? `from-${e.valueFrom?.fieldRef?.fieldPath ?? 'elsewhere'}`;
  }
  return env;
}

t.test('every object validates against the Kubernetes schemas', async (t) => {
  t.ok(kubeObjects.length >= 4, 'pod, deployment, configmap, podmonitor');
  for (const { file, object } of kubeObjects) {
    const name = `${file}: ${object['kind']} ${object['metadata']?.name}`;
    const Model = MODELS[`${object['apiVersion']}/${object['kind']}`];
    if (!Model) {
      t.fail(`${name}: no schema for ${object['apiVersion']} ${object['kind']}`);
      continue;
    }
    t.doesNotThrow(() => new Model(object).validate(), `${name} validates`);
    t.same(unknownKeys(Model, object), [], `${name} has no key the schema does not know`);
  }
});

t.test('the unknown-key check finds typos (so the check above can fail)', async (t) => {
  const typo = structuredClone(pod);
  typo['spec'].containers[1].imagePullPolcy = 'Always';
  typo['spec'].containers[1].securityContext.readOnlyRootFileSystem = true;
  typo['spec'].volumes[0].emptyDir.size = '1Gi';
  t.doesNotThrow(() => new Pod(typo).validate(), 'kubernetes-models alone accepts unknown keys');
  t.same(unknownKeys(Pod, typo).sort(), [
    '.spec.containers[1].imagePullPolcy',
    '.spec.containers[1].securityContext.readOnlyRootFileSystem',
    '.spec.volumes[0].emptyDir.size',
  ]);
  const wrongDeploy = structuredClone(deployment);
  wrongDeploy['spec'].template.spec.initContainers[0].restartPolicyy = 'Always';
  t.same(unknownKeys(Deployment, wrongDeploy), ['.spec.template.spec.initContainers[0].restartPolicyy']);
  const wrongType = structuredClone(pod);
  wrongType['spec'].terminationGracePeriodSeconds = 'forty';
  t.throws(() => new Pod(wrongType).validate(), 'a wrong type fails validation');
});

t.test('tailship reads every variable the manifests give it, and accepts the values', async (t) => {
  const sidecars = [
    ['pod.yaml', pod['spec'].containers.find((c: Obj) => c.name === 'sidecar-container')],
    ['deployment.yaml', deployment['spec'].template.spec.initContainers?.find((c: Obj) => c.name === 'sidecar-container')],
  ] as const;
  for (const key of Object.keys(configMap['data'])) {
    t.ok(KNOWN_ENV_NAMES.has(key), `configmap.yaml: ${key} is a variable tailship reads`);
  }
  for (const [file, sidecar] of sidecars) {
    t.ok(sidecar, `${file}: has sidecar-container`);
    if (!sidecar) continue;
    for (const e of sidecar.env ?? []) {
      t.ok(KNOWN_ENV_NAMES.has(e.name), `${file}: ${e.name} is a variable tailship reads`);
    }
    const env = sidecarEnv(sidecar);
    for (const name of ['K8S_POD_NAME', 'K8S_NAMESPACE', 'K8S_NODE_NAME', 'K8S_POD_IP']) {
      t.ok(sidecar.env.some((e: Obj) => e.name === name && e.valueFrom?.fieldRef?.fieldPath), `${file}: ${name} from the Downward API`);
    }
    const { config, warnings } = loadConfig(env);
    t.same(warnings, [], `${file}: no warnings about the environment`);

    const spec = file === 'pod.yaml' ? pod['spec'] : deployment['spec'].template.spec;
    const volumes = new Map<string, Obj>(spec.volumes.map((v: Obj) => [v.name, v]));
    const mountOf = (path: string) => sidecar.volumeMounts.find((m: Obj) => m.mountPath === path);

    // Health: the probes ask the port tailship listens on.
    const healthPort = sidecar.ports.find((p: Obj) => p.name === 'health');
    t.equal(healthPort?.containerPort, config.health.port, `${file}: containerPort "health" is TAILSHIP_HEALTH_PORT`);
    for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
      const get = sidecar[probe]?.httpGet;
      t.ok(get, `${file}: ${probe} is an httpGet`);
      t.ok(get?.port === 'health' || get?.port === config.health.port, `${file}: ${probe} on the health port`);
    }
    t.equal(sidecar.livenessProbe.httpGet.path, '/healthz', `${file}: liveness asks /healthz`);
    t.equal(sidecar.readinessProbe.httpGet.path, '/readyz', `${file}: readiness asks /readyz`);

    // State: its own emptyDir at the state dir; logs: the shared volume, read-only.
    const state = mountOf(config.state.dir);
    t.ok(state && volumes.get(state.name)?.emptyDir, `${file}: ${config.state.dir} is an emptyDir of its own`);
    t.not(state?.name, 'shared-data', `${file}: the state is not on the shared volume`);
    const logs = mountOf('/pod-data');
    t.equal(logs?.name, 'shared-data', `${file}: the shared volume is mounted at /pod-data`);
    // Read-write exactly when tailship frees acknowledged bytes (README, "Disk space on the shared volume").
    t.equal(logs?.readOnly ?? false, !config.disk.reclaimAcked, `${file}: read-write for the sidecar only with reclaim on`);
    const shared = volumes.get('shared-data')?.emptyDir;
    t.equal(config.disk.volumeLimitBytes, quantityBytes(shared?.sizeLimit), `${file}: TAILSHIP_VOLUME_LIMIT is the volume's sizeLimit`);
    if (config.disk.reclaimAcked) {
      // nginx (root) would create its files 0644 root-owned: log-files makes them the sidecar's first.
      const init = (spec.initContainers ?? []).find((c: Obj) => c.name === 'log-files');
      t.match(init?.command?.join(' '), new RegExp(`chown ${sidecar.securityContext.runAsUser}:`), `${file}: log-files gives the files to the sidecar's UID`);
      t.equal(spec.initContainers?.indexOf(init), 0, `${file}: before anything else starts`);
      t.equal(init?.volumeMounts?.[0]?.name, 'shared-data', `${file}: on the shared volume`);
    }
    for (const glob of config.sources.include) t.match(glob, /^\/pod-data\//, `${file}: ${glob} is under /pod-data`);

    // Bounds: memory limit above the budget, grace period above the drain timeout.
    const limit = quantityBytes(sidecar.resources.limits.memory);
    const request = quantityBytes(sidecar.resources.requests.memory);
    // The README's sizing rule: the data tailship may hold (the memory limit, or the
    // read-ahead when less) + 160 MiB. Measured RSS is that data + ~120 MiB on Node 24
    // (README, Performance); the rest is room for kernel memory charged to the container,
    // without which the kubelet OOM-kills a sidecar that is doing its job.
    const held = readAheadLimit(config.memoryLimitBytes, config.batch.maxBytes, config.delivery.maxInFlight);
    t.ok(limit >= held + 160 * 2 ** 20, `${file}: memory limit ${limit / 2 ** 20}Mi >= ${held / 2 ** 20}MiB held + 160MiB`);
    t.ok(request <= limit && request > held + 64 * 2 ** 20, `${file}: memory request between the idle process and the limit`);
    t.ok(
      spec.terminationGracePeriodSeconds * 1000 >= config.drain.timeoutMs + 10_000,
      `${file}: terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds}s is >= 10s above the drain timeout`,
    );

    // The container is locked down.
    t.match(
      sidecar.securityContext,
      {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      `${file}: securityContext`,
    );
    t.notOk(sidecar.securityContext.privileged, `${file}: not privileged`);

    // The token comes from the Secret the user creates, as a file.
    const auth = volumes.get('collector-auth');
    const [, secretName, secretKey] = SECRET_COMMAND.exec(kustomizationText) ?? [];
    t.equal(auth?.secret?.secretName, secretName, `${file}: the Secret kustomization.yaml says to create is mounted`);
    const authMount = sidecar.volumeMounts.find((m: Obj) => m.name === 'collector-auth');
    const tokenFile: string = env['TAILSHIP_AUTH_BEARER_TOKEN_FILE'] ?? '';
    t.equal(
      tokenFile.slice(0, tokenFile.lastIndexOf('/')),
      authMount?.mountPath,
      `${file}: TAILSHIP_AUTH_BEARER_TOKEN_FILE is in the Secret's mount`,
    );
    t.equal(tokenFile.slice(tokenFile.lastIndexOf('/') + 1), secretKey, `${file}: the token file is the Secret's key`);
    t.ok(!JSON.stringify(sidecar.env).includes('secretKeyRef'), `${file}: no secret in an environment variable`);
  }
});

t.test('the Pod is the example: nginx and tailship sharing a log volume', async (t) => {
  const spec = pod['spec'];
  t.same(spec.containers.map((c: Obj) => c.name), ['nginx-container', 'sidecar-container']);
  const [nginx, sidecar] = spec.containers;
  t.match(nginx.image, /^nginx(:|$)/, 'nginx is the public nginx image');
  t.match(sidecar.image, /^tailship(:|$)/, 'the sidecar is tailship');
  const shared = spec.volumes.find((v: Obj) => v.name === 'shared-data');
  t.ok(shared?.emptyDir?.sizeLimit, 'shared-data is an emptyDir with a sizeLimit');
  t.same(
    nginx.volumeMounts.map((m: Obj) => [m.name, m.mountPath]),
    [['shared-data', '/var/log/nginx']],
    'nginx writes its logs to the shared volume',
  );
  for (const c of spec.containers) {
    for (const m of c.volumeMounts ?? []) {
      t.notMatch(m.mountPath, /^\/usr\/share\/nginx\/html|^\/var\/www/, `${c.name}: nothing mounted on the html folder`);
    }
  }
  for (const v of spec.volumes) {
    if (v.emptyDir) t.ok(v.emptyDir.sizeLimit, `${v.name}: emptyDir has a sizeLimit`);
  }
});

t.test('the Deployment runs tailship as a native sidecar, in step with the Pod', async (t) => {
  const spec = deployment['spec'].template.spec;
  const sidecar = spec.initContainers?.find((c: Obj) => c.name === 'sidecar-container');
  t.ok(sidecar, 'tailship is an init container');
  t.equal(sidecar?.restartPolicy, 'Always', 'restartPolicy Always: a native sidecar');
  t.equal(sidecar?.startupProbe?.httpGet?.path, '/readyz', 'nginx starts after tailship is ready');
  t.same(spec.containers.map((c: Obj) => c.name), ['nginx-container']);

  // The two forms must not drift apart: the same sidecar, volumes and nginx.
  const podSpec = pod['spec'];
  const podSidecar = podSpec.containers.find((c: Obj) => c.name === 'sidecar-container');
  const { restartPolicy: _r, startupProbe: _s, ...deploySidecar } = sidecar ?? {};
  t.strictSame(deploySidecar, podSidecar, 'the sidecar container is the same apart from restartPolicy and startupProbe');
  t.strictSame(spec.volumes, podSpec.volumes, 'the same volumes');
  t.strictSame(spec.containers[0], podSpec.containers[0], 'the same nginx container');
  t.strictSame(spec.initContainers[0], podSpec.initContainers[0], 'the same log-files init container');
  t.strictSame(spec.securityContext, podSpec.securityContext, 'the same Pod securityContext');

  // The selector picks the template's Pods and not the example Pod, which the
  // Deployment's ReplicaSet would otherwise adopt when both are applied.
  const selector: Obj = deployment['spec'].selector.matchLabels;
  const matches = (labels: Obj = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  t.ok(matches(deployment['spec'].template.metadata.labels), 'selector matches the template');
  t.notOk(matches(pod['metadata'].labels), 'selector does not match the example Pod');
});

t.test('kubectl apply -k k8s/ deploys one form: the Deployment and its ConfigMap', async (t) => {
  t.equal(kustomization['apiVersion'], 'kustomize.config.k8s.io/v1beta1');
  const known = new Set(['apiVersion', 'kind', 'resources', 'images', 'namespace', 'labels', 'commonLabels']);
  for (const key of Object.keys(kustomization)) t.ok(known.has(key), `kustomization key ${key}`);
  t.same(kustomization['resources'], ['configmap.yaml', 'deployment.yaml'], 'one form, and what it reads');
  t.equal(deployment['spec'].replicas, 1, 'one replica: one nginx Pod');
  // The other manifests are there to apply by hand; the kustomization says so.
  const others = [...new Set(kubeObjects.map((d) => d.file))].filter((f) => !kustomization['resources'].includes(f));
  t.same(others.sort(), ['pod.yaml', 'podmonitor.yaml']);
  for (const file of others) t.match(kustomizationText, file, `kustomization.yaml says why ${file} is not applied`);
  for (const image of kustomization['images'] ?? []) {
    t.ok(
      kubeObjects.some((d) => JSON.stringify(d.object).includes(`"image":"${image.name}:${image.newTag}"`)),
      `images: ${image.name}:${image.newTag} is the image the manifests name`,
    );
  }
});

t.test('one image tag: the manifests, the kustomization, docker/README.md and package.json agree', async (t) => {
  const images = kubeObjects.flatMap((d) => [...JSON.stringify(d.object).matchAll(/"image":"tailship:([^"]+)"/g)].map((m) => m[1]));
  t.ok(images.length >= 2, 'the Pod and the Deployment name the tailship image');
  t.same([...new Set(images)], [VERSION], `the manifests use tailship:${VERSION}`);
  t.equal(kustomization['images'][0].newTag, VERSION, 'the kustomization sets the same tag');
  const dockerReadme = readFileSync(REPO + 'docker/README.md', 'utf8');
  const tags = [...dockerReadme.matchAll(/(?:-t|docker run --rm(?: -e \S+)?) tailship(:\S+)?/g)].map((m) => m[1] ?? ':latest');
  t.ok(tags.length >= 2, 'docker/README.md builds and runs the image');
  t.same([...new Set(tags)], [`:${VERSION}`], 'docker/README.md builds and runs that same tag');
});

t.test('the steps before kubectl apply -k come first in both READMEs', async (t) => {
  for (const file of ['README.md', 'k8s/README.md']) {
    const text = readFileSync(REPO + file, 'utf8');
    const apply = text.indexOf('kubectl apply -k k8s/');
    t.ok(apply > 0, `${file} has the command`);
    for (const [step, re] of [
      ['build the image', /docker build -f docker\/Dockerfile -t \S*tailship:/],
      ['push it', /docker push \S*tailship:/],
      ['set the collector URL', /TAILSHIP_COLLECTOR_URL/],
      ['create the Secret', SECRET_COMMAND],
    ] as const) {
      const at = text.search(re);
      t.ok(at >= 0 && at < apply, `${file}: "${step}" comes before kubectl apply -k`);
    }
  }
});

t.test('a collector without auth: following the comments gives a Pod that starts', async (t) => {
  for (const [file, spec, Model, wrap] of [
    ['pod.yaml', pod['spec'], Pod, (s: Obj) => ({ ...pod, spec: s })],
    ['deployment.yaml', deployment['spec'].template.spec, Deployment, (s: Obj) => ({ ...deployment, spec: { ...deployment['spec'], template: { ...deployment['spec'].template, spec: s } } })],
  ] as const) {
    const text = readFileSync(K8S_DIR + file, 'utf8');
    t.match(text, /without auth: remove this (variable|volume)/, `${file} says what to remove`);
    const variant = withoutAuth(spec);
    t.doesNotThrow(() => new (Model as ModelClass)(wrap(variant)).validate(), `${file} without auth validates`);
    const names = new Set(variant.volumes.map((v: Obj) => v.name));
    for (const c of [...(variant.initContainers ?? []), ...variant.containers]) {
      for (const m of c.volumeMounts ?? []) t.ok(names.has(m.name), `${file}: ${c.name} mounts ${m.name}, which exists`);
    }
    const sidecar = [...(variant.initContainers ?? []), ...variant.containers].find((c: Obj) => c.name === 'sidecar-container');
    const { config } = loadConfig(sidecarEnv(sidecar));
    t.same(config.auth, { bearerToken: undefined, bearerTokenFile: undefined, basicUser: undefined, basicPassword: undefined, basicPasswordFile: undefined }, `${file}: no credentials asked for`);
    t.notMatch(JSON.stringify(variant), /tailship-collector-auth|\/var\/run\/secrets\/tailship/, `${file}: nothing left that needs the Secret`);
  }
  t.notOk(Object.hasOwn(configMap['data'], 'TAILSHIP_AUTH_BEARER_TOKEN_FILE'), 'the ConfigMap holds no auth setting the Pod would keep');
});

t.test('Prometheus can find /metrics: annotations on the Pods, and a PodMonitor', async (t) => {
  const targets = [
    ['pod.yaml', pod['metadata'], pod['spec']],
    ['deployment.yaml', deployment['spec'].template.metadata, deployment['spec'].template.spec],
  ] as const;
  for (const [file, meta, spec] of targets) {
    const sidecar = [...(spec.initContainers ?? []), ...spec.containers].find((c: Obj) => c.name === 'sidecar-container');
    const { config } = loadConfig(sidecarEnv(sidecar));
    t.strictSame(
      meta.annotations,
      { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(config.health.port), 'prometheus.io/path': '/metrics' },
      `${file}: scrape annotations name the health port and /metrics`,
    );
    const labels: Obj = meta.labels;
    const selector: Obj = podMonitor['spec'].selector;
    const matches =
      Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
      (selector.matchExpressions ?? []).every((e: Obj) => e.operator === 'In' && e.values.includes(labels[e.key]));
    t.ok(matches, `podmonitor.yaml selects the Pods of ${file}`);
    for (const endpoint of podMonitor['spec'].podMetricsEndpoints) {
      const port = sidecar.ports.find((p: Obj) => p.name === endpoint.port);
      t.equal(port?.containerPort, config.health.port, `${file}: the PodMonitor's port "${endpoint.port}" is the health port`);
      t.equal(endpoint.path, '/metrics');
    }
  }
  t.notOk(
    kubeObjects.some((d) => d.file !== 'podmonitor.yaml' && d.object['kind'] !== 'Pod' && d.object['kind'] !== 'Deployment' && JSON.stringify(d.object).includes('prometheus.io')),
    'annotations only where Prometheus reads them',
  );
});

t.test("k8s/README.md's Pod spec to copy is the one in pod.yaml", async (t) => {
  const readme = readFileSync(K8S_DIR + 'README.md', 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  t.ok(block, 'README has a yaml block');
  const snippet = parseAllDocuments(block ?? '')[0]?.toJS() as Obj;
  // Every key the README shows has the value pod.yaml has (pod.yaml may say more).
  t.match(pod['spec'], snippet?.spec, 'the snippet is a subset of pod.yaml');
  for (const [i, c] of (snippet?.spec?.containers ?? []).entries()) {
    t.equal(c.name, pod['spec'].containers[i].name, `container ${i} is ${c.name}`);
    t.equal((c.env ?? []).length, (pod['spec'].containers[i].env ?? []).length, `${c.name}: every env var shown`);
    t.equal((c.volumeMounts ?? []).length, (pod['spec'].containers[i].volumeMounts ?? []).length, `${c.name}: every mount shown`);
  }
  t.equal(snippet?.spec?.volumes?.length, pod['spec'].volumes.length, 'every volume shown');
});
