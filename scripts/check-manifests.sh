#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Validate deploy/kubernetes/ offline (make check-manifests):
#   - yamllint (Debian's) on every file;
#   - every object against the Kubernetes API schemas, with the npm
#     package kubernetes-models (schemas generated from the official
#     OpenAPI specification; scripts/check-manifests.mjs);
#   - the kustomization: each resource it lists exists, each file of an
#     object is listed, and the image it sets is the DaemonSet's.
# npm packages go to $BUILD/npm (default build/npm).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
DIR=$TOP/deploy/kubernetes
NPM_DIR=$BUILD/npm
KM_VERSION=5.1.0
YAML_VERSION=2.9.1

command -v yamllint >/dev/null || { echo "check-manifests: yamllint missing (scripts/deps.sh ci)" >&2; exit 2; }
command -v npm >/dev/null || { echo "check-manifests: npm missing" >&2; exit 2; }
yamllint -d '{extends: default, rules: {document-start: disable, line-length: {max: 100}}}' \
	"$DIR"/*.yaml
echo "yamllint: $(ls "$DIR"/*.yaml | wc -l) files clean"

if [ ! -f "$NPM_DIR/node_modules/kubernetes-models/package.json" ] ||
   ! grep -q "\"version\": \"$KM_VERSION\"" "$NPM_DIR/node_modules/kubernetes-models/package.json"; then
	mkdir -p "$NPM_DIR"
	(cd "$NPM_DIR" && npm install --no-audit --no-fund --silent --no-save \
		"kubernetes-models@$KM_VERSION" "yaml@$YAML_VERSION" >/dev/null)
fi
cp "$TOP/scripts/check-manifests.mjs" "$NPM_DIR/"
files=()
for f in "$DIR"/*.yaml; do
	[ "$(basename "$f")" = kustomization.yaml ] || files+=("$f")
done
node "$NPM_DIR/check-manifests.mjs" "${files[@]}"

k=$DIR/kustomization.yaml
listed=$(sed -n 's/^  - \([a-z-]*\.yaml\)$/\1/p' "$k")
for f in $listed; do
	[ -f "$DIR/$f" ] || { echo "kustomization: $f does not exist"; exit 1; }
done
for f in "${files[@]}"; do
	grep -qx "$(basename "$f")" <<<"$listed" ||
		{ echo "kustomization: $(basename "$f") is not listed"; exit 1; }
done
img=$(sed -n 's/^  - name: //p' "$k")
tag=$(sed -n 's/^    newTag: "\(.*\)"$/\1/p' "$k")
grep -q "image: $img:$tag\$" "$DIR/daemonset.yaml" ||
	{ echo "kustomization: image $img:$tag is not the DaemonSet's"; exit 1; }
echo "kustomization: $(wc -w <<<"$listed") resources, image $img:$tag"
