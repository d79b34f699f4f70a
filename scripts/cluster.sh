#!/usr/bin/env bash
# A single-node Kubernetes cluster on this machine, built from source (scripts/tools/kubernetes.sh, etcd.sh,
# coredns.sh) on Debian's containerd, runc and bridge CNI, for the deploy checks. Needs root.
#
#   scripts/cluster.sh up            start it; prints the kubeconfig's path (cluster-admin)
#   scripts/cluster.sh load IMAGE…   copy images from podman's store into the node (podman save → ctr import)
#   scripts/cluster.sh down          stop it and leave the host as `up` found it
#
# The host is shared: everything listens on loopback (the kubelet on the node's address, as the API server
# reaches it there), pods get addresses on a bridge of their own with no default route (nothing they send
# leaves the machine), there is no registry (every pull fails at once: images come from `load`), and `down`
# puts back what the kubelet, kube-proxy and the CNI plugins change: the sysctls they set, the iptables chains
# they add, every mount and network namespace of the pods, the cgroups, and every process. The kubelet's
# iptables "util chains" (a DROP of non-loopback packets to 127/8) and kube-proxy's localhost NodePorts
# (route_localnet) are switched off, so loopback traffic of everyone else on the machine is untouched.
# Only one such cluster runs on a machine at a time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/tools/lib.sh"

state="${IPP_CLUSTER_DIR:-/run/ipp-cluster}"
# Images survive `down`: importing them again costs minutes.
images_root="$TOOLS_CACHE/cluster-containerd"
bridge=ipp-k8s0
pod_cidr=10.244.0.0/24
gateway=10.244.0.1
service_cidr=10.96.0.0/24
node=ipp-node
apiserver_port=6443
etcd_ports=(23790 23800)
components=(coredns kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd containerd)
# Set by the kubelet, kube-proxy or the bridge plugin; saved at `up`, put back at `down`.
sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Host directories the components write to whatever they are told; removed at `down` when `up` made them.
host_dirs=(/var/lib/cni /var/log/containers /var/log/pods /run/containerd /etc/cni)

log() { echo "cluster: $*" >&2; }
ctr() { command ctr --address "$state/containerd.sock" --namespace k8s.io "$@"; }
kubectl() { command "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"; }
running() { [ -f "$state/pids/$1" ] && kill -0 "$(cat "$state/pids/$1")" 2>/dev/null; }

node_ip() { ip -4 -o addr show scope global | awk 'NR == 1 { sub(/\/.*/, "", $4); print $4 }'; }

start() { # NAME COMMAND…: runs in the background, logs to $state/logs/NAME.log
  local name="$1"
  shift
  setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name"
}

wait_for() { # WHAT SECONDS COMMAND…
  local what="$1" seconds="$2" deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      log "$what did not come up in ${seconds}s; last log lines:"
      tail -n 30 "$state/logs/"*.log >&2 || true
      return 1
    fi
    sleep 1
  done
}

install_packages() {
  local packages=(containerd runc containernetworking-plugins iptables conntrack openssl) missing=() package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return
  log "installing ${missing[*]}"
  bash "$here/tools/apt-install.sh" "${missing[@]}"
}

certificates() {
  local pki="$state/pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ipp-cluster-ca \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  # NAME SUBJECT [SUBJECT-ALT-NAMES]
  issue() {
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
    local extensions="$pki/$1.ext"
    echo "extendedKeyUsage = serverAuth, clientAuth" >"$extensions"
    [ -z "${3:-}" ] || echo "subjectAltName = $3" >>"$extensions"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
      -extfile "$extensions" -out "$pki/$1.crt" 2>/dev/null
  }
  issue apiserver /CN=kube-apiserver \
    "IP:127.0.0.1,IP:${service_cidr%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # One cluster-admin identity for the control plane, kube-proxy, CoreDNS and the tests; the node its own.
  issue admin "/O=system:masters/CN=ipp-admin"
  issue kubelet "/O=system:nodes/CN=system:node:$node"
  openssl genrsa -out "$pki/service-accounts.key" 2048 2>/dev/null
  openssl rsa -in "$pki/service-accounts.key" -pubout -out "$pki/service-accounts.pub" 2>/dev/null
  for identity in admin kubelet; do
    cat >"$state/$identity.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: ipp
    cluster: { server: "https://127.0.0.1:$apiserver_port", certificate-authority: "$pki/ca.crt" }
users:
  - name: $identity
    user: { client-certificate: "$pki/$identity.crt", client-key: "$pki/$identity.key" }
contexts:
  - name: ipp
    context: { cluster: ipp, user: $identity }
current-context: ipp
EOF
  done
}

containerd_config() {
  mkdir -p "$state/containerd/certs.d/_default" "$state/cni/net.d" "$images_root"
  # No registry is reachable: every pull goes to a closed port on loopback and fails at once.
  cat >"$state/containerd/certs.d/_default/hosts.toml" <<'EOF'
server = "http://127.0.0.1:9"
[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
EOF
  cat >"$state/containerd/config.toml" <<EOF
version = 2
root = "$images_root"
state = "$state/containerd/state"
[grpc]
  address = "$state/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # Root here lacks CAP_SYS_RESOURCE: containers may not get a lower OOM score than containerd's own.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$state/containerd/certs.d"
EOF
  # Pods on a bridge of their own; a route to the Services but no default route, and no masquerading.
  cat >"$state/cni/net.d/10-ipp.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "ipp",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{ "subnet": "$pod_cidr", "gateway": "$gateway" }]],
        "routes": [{ "dst": "$service_cidr" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

kubelet_config() {
  cat >"$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: "$(node_ip)"
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$state/pki/ca.crt" }
authorization: { mode: Webhook }
containerRuntimeEndpoint: "unix://$state/containerd.sock"
# This host's cgroups are v1 (hybrid), which the kubelet refuses unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
clusterDomain: cluster.local
clusterDNS: ["$gateway"]
resolvConf: "$state/resolv.conf"
podLogsDir: "$state/pod-logs"
# No DROP of non-loopback packets to 127/8 in the host's INPUT/OUTPUT chains (see the top of this file).
makeIPTablesUtilChains: false
# Images come from \`load\`, never from a registry: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
failSwapOn: false
registerNode: true
EOF
  : >"$state/resolv.conf"
  cat >"$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: "$state/admin.kubeconfig" }
hostnameOverride: $node
mode: iptables
clusterCIDR: $pod_cidr
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [primary]
iptables: { localhostNodePorts: false }
# Leave the host's conntrack table size and timeouts as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
  cat >"$state/Corefile" <<EOF
.:53 {
    bind $gateway
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $state/admin.kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
EOF
}

save_host() {
  mkdir -p "$state/host"
  local name
  for name in "${sysctls[@]}"; do
    sysctl -n "$name" >"$state/host/sysctl.$name" 2>/dev/null || rm -f "$state/host/sysctl.$name"
  done
  : >"$state/host/made-dirs"
  for name in "${host_dirs[@]}"; do [ -e "$name" ] || echo "$name" >>"$state/host/made-dirs"; done
  ls /run/netns 2>/dev/null >"$state/host/netns" || : >"$state/host/netns"
  local tool table
  for tool in iptables ip6tables; do
    for table in filter nat mangle raw; do
      "$tool-save" -t "$table" 2>/dev/null | sed -n "s/^:\([^ ]*\) .*/$table \1/p"
    done >"$state/host/$tool-chains"
  done
}

# The pause image every pod's sandbox runs: Kubernetes' pause.c, built static with the host's gcc.
pause_image() {
  ctr images ls -q | grep -qx registry.k8s.io/pause:3.10 && return
  local dir
  dir="$(mktemp -d "$state/pause.XXXXXX")"
  cp "$(go_module_dir k8s.io/kubernetes "$kubernetes_version")/build/pause/linux/pause.c" "$dir/"
  gcc -Os -static -DVERSION=3.10-ipp -o "$dir/pause" "$dir/pause.c"
  mkdir -p "$dir/rootfs"
  cp "$dir/pause" "$dir/rootfs/pause"
  cat >"$dir/Containerfile" <<'EOF'
FROM scratch
COPY rootfs/pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
EOF
  podman build --quiet --format docker --tag registry.k8s.io/pause:3.10 --file "$dir/Containerfile" "$dir" >/dev/null
  load registry.k8s.io/pause:3.10
  rm -rf "$dir"
}

load() {
  local image id marker
  mkdir -p "$images_root/ipp-loaded"
  for image in "$@"; do
    id="$(podman image inspect --format '{{.Id}}' "$image")"
    marker="$images_root/ipp-loaded/$(echo "$image" | tr '/:' '__')"
    # The same image already in the node (same podman ID) is not copied again.
    if [ "$(cat "$marker" 2>/dev/null)" = "$id" ] && ctr images ls -q | grep -qx "$(full_name "$image")"; then continue; fi
    log "loading $image"
    podman save --format docker-archive "$image" | ctr images import - >/dev/null
    echo "$id" >"$marker"
  done
}

# containerd's name of an image: docker.io/library/ for a bare name, docker.io/ for a name without a registry.
full_name() {
  local image="$1" first="${1%%/*}"
  if [[ "$image" != */* ]]; then echo "docker.io/library/$image"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then echo "docker.io/$image"
  else echo "$image"; fi
}

persistent_volumes() {
  local index
  for index in $(seq 1 10); do
    mkdir -p "$state/volumes/pv$index"
    # hostPath ignores fsGroup: any pod's user may write.
    chmod 0777 "$state/volumes/pv$index"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: ipp-pv$index, labels: { ipp-cluster: "true" } }
spec:
  capacity: { storage: 50Gi }
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: { path: "$state/volumes/pv$index", type: Directory }
EOF
  done
}

up() {
  if running kube-apiserver; then
    log "already running"
    echo "$state/admin.kubeconfig"
    return
  fi
  [ ! -d "$state" ] || down
  install_packages
  local started=$SECONDS
  mkdir -p "$state/logs" "$state/pids" "$state/pod-logs" "$state/kubelet" "$state/etcd"
  save_host
  certificates
  containerd_config
  kubelet_config
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$(bash "$here/tools/podman.sh")}"

  # The bridge exists before the first pod, so that CoreDNS can listen on the pods' gateway.
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  ip addr replace "$gateway/${pod_cidr#*/}" dev "$bridge"
  ip link set "$bridge" up
  # The host reaches Services through kube-proxy's DNAT; anything else sent to their range stays on the bridge.
  ip route replace "$service_cidr" dev "$bridge" src "$gateway"

  start containerd containerd --config "$state/containerd/config.toml"
  wait_for containerd 60 ctr version
  pause_image

  start etcd "$etcd" --name ipp --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:${etcd_ports[0]}" --advertise-client-urls "http://127.0.0.1:${etcd_ports[0]}" \
    --listen-peer-urls "http://127.0.0.1:${etcd_ports[1]}" --initial-advertise-peer-urls "http://127.0.0.1:${etcd_ports[1]}" \
    --initial-cluster "ipp=http://127.0.0.1:${etcd_ports[1]}" --quota-backend-bytes 1073741824
  local pki="$state/pki"
  start kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:${etcd_ports[0]}" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$apiserver_port" \
    --service-cluster-ip-range "$service_cidr" --service-node-port-range 30000-32767 \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-key-file "$pki/service-accounts.pub" --service-account-signing-key-file "$pki/service-accounts.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=false \
    --endpoint-reconciler-type none
  wait_for kube-apiserver 180 kubectl get --raw /readyz
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$state/admin.kubeconfig" \
    --bind-address 127.0.0.1 --service-account-private-key-file "$pki/service-accounts.key" \
    --root-ca-file "$pki/ca.crt" --use-service-account-credentials=false --controllers '*,-nodeipam' \
    --leader-elect=false
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$state/admin.kubeconfig" --bind-address 127.0.0.1 \
    --leader-elect=false
  start kubelet "$bin/kubelet" --config "$state/kubelet.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
    --root-dir "$state/kubelet" --hostname-override "$node" --node-ip "$(node_ip)"
  start kube-proxy "$bin/kube-proxy" --config "$state/kube-proxy.yaml"
  start coredns "$coredns" -conf "$state/Corefile"
  wait_for "node $node" 180 kubectl wait --for=condition=Ready "node/$node" --timeout=5s
  kubectl patch node "$node" --type merge --patch "{\"spec\":{\"podCIDR\":\"$pod_cidr\"}}" >/dev/null
  persistent_volumes | kubectl apply -f - >/dev/null
  wait_for "the default service account" 60 kubectl get serviceaccount default
  log "up in $((SECONDS - started)) s"
  echo "$state/admin.kubeconfig"
}

stop_process() {
  local name="$1" pid
  [ -f "$state/pids/$name" ] || return 0
  pid="$(cat "$state/pids/$name")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$state/pids/$name"
}

# Deletes the KUBE-* and CNI-* chains that were not there at `up`, and every rule that jumps to them.
delete_chains() {
  local tool="$1" table chain rule
  command -v "$tool-save" >/dev/null || return 0
  for table in filter nat mangle raw; do
    local ours=()
    for chain in $("$tool-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
      grep -qx "$table $chain" "$state/host/$tool-chains" 2>/dev/null || ours+=("$chain")
    done
    [ "${#ours[@]}" -gt 0 ] || continue
    local pattern
    pattern="$(IFS='|' && echo "${ours[*]}")"
    { "$tool-save" -t "$table" 2>/dev/null | grep -E -- "^-A .* -j ($pattern)( |$)" || true; } | while read -r rule; do
      # The saved rule is a list of arguments, quoted as iptables-save quotes them.
      eval "$tool -w -t $table -D ${rule#-A }" 2>/dev/null || true
    done
    for chain in "${ours[@]}"; do "$tool" -w -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in "${ours[@]}"; do "$tool" -w -t "$table" -X "$chain" 2>/dev/null || true; done
  done
}

down() {
  [ -d "$state" ] || { log "not running"; return 0; }
  local started=$SECONDS
  # Pods first, while the kubelet can still stop them (their network namespaces, mounts and addresses go too).
  stop_process kube-controller-manager
  stop_process kube-scheduler
  if running kube-apiserver && running kubelet; then
    kubectl delete pods --all --all-namespaces --grace-period=5 --wait=false >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 90))
    while ((SECONDS < deadline)) && ctr tasks ls 2>/dev/null | grep -q RUNNING; do sleep 1; done
  fi
  for name in "${components[@]}"; do
    [ "$name" != containerd ] || break
    stop_process "$name"
  done
  # Whatever is left (a killed run): stop each task, then its shim, through containerd.
  if running containerd; then
    for task in $(ctr tasks ls -q 2>/dev/null); do ctr tasks kill --signal SIGKILL "$task" >/dev/null 2>&1 || true; done
    sleep 1
    for task in $(ctr tasks ls -q 2>/dev/null); do ctr tasks delete --force "$task" >/dev/null 2>&1 || true; done
    for container in $(ctr containers ls -q 2>/dev/null); do ctr containers delete "$container" >/dev/null 2>&1 || true; done
  fi
  stop_process containerd
  # Shims of a killed containerd run on their own: any process whose command names this cluster's state.
  for pid in $(pgrep -f -- "$state" || true); do kill -KILL "$pid" 2>/dev/null || true; done

  # Mounts under the cluster's directories (pod volumes, sandboxes' /dev/shm, rootfs), deepest first.
  { findmnt -rn -o TARGET | grep -E "^($state|$images_root)(/|$)" || true; } | sort -r | while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" || true
  done
  # Network namespaces the pods left (containerd names them cni-…), if they were not there before.
  for netns in $(ls /run/netns 2>/dev/null | grep '^cni-' || true); do
    grep -qx "$netns" "$state/host/netns" 2>/dev/null && continue
    ip netns delete "$netns" 2>/dev/null || { umount "/run/netns/$netns" 2>/dev/null; rm -f "/run/netns/$netns"; }
  done
  ip link delete "$bridge" 2>/dev/null || true
  delete_chains iptables
  delete_chains ip6tables
  # The kubelet's cgroups (kubepods…), emptied by the pods' end, deepest first.
  for root in /sys/fs/cgroup/*/; do
    [ -d "$root/kubepods" ] || [ -d "$root/kubepods.slice" ] || continue
    find "$root/kubepods" "$root/kubepods.slice" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  for file in "$state"/host/sysctl.*; do
    [ -f "$file" ] || continue
    sysctl -q -w "${file##*/sysctl.}=$(cat "$file")" >/dev/null 2>&1 || log "could not restore ${file##*/sysctl.}"
  done
  if [ -f "$state/host/made-dirs" ]; then
    while read -r dir; do rm -rf "$dir"; done <"$state/host/made-dirs"
  fi
  rm -rf "$state"
  log "down in $((SECONDS - started)) s"
}

kubernetes_version="${KUBERNETES_VERSION:-v1.37.2}"
case "${1:-}" in
  up)
    bin="$(bash "$here/tools/kubernetes.sh")"
    etcd="$(bash "$here/tools/etcd.sh")"
    coredns="$(bash "$here/tools/coredns.sh")"
    up
    ;;
  down)
    bin="$(bash "$here/tools/kubernetes.sh")"
    down
    ;;
  load)
    shift
    export CONTAINERS_CONF="${CONTAINERS_CONF:-$(bash "$here/tools/podman.sh")}"
    load "$@"
    ;;
  *)
    echo "usage: $0 up | load IMAGE… | down" >&2
    exit 2
    ;;
esac
