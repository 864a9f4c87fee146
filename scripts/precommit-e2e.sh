#!/usr/bin/env bash
# End-to-end test of .pre-commit-hooks.yaml: a throwaway git repository uses
# this repository's berth-lint hook through pre-commit, the way a user's
# project does, then commits a good compose file (the commit succeeds) and a
# broken one (pre-commit blocks it).
#
# The hook repository is a copy of the working tree (tracked and untracked,
# not ignored, files) committed into a temporary git repository, so that
# uncommitted changes are tested too. pre-commit builds the hook with
# `go install ./...` (language: golang); GOMODCACHE and GOCACHE point at
# this machine's caches so that nothing is downloaded.
#
#   scripts/precommit-e2e.sh        # exit 0: passed; 1: failed; 3: no pre-commit
#   BERTH_E2E_SOURCE=head scripts/precommit-e2e.sh   # test the last commit instead
#
# pre-commit is installed with apt-get (Debian's package) when missing and
# the script runs as root; otherwise the script exits 3.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v pre-commit >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "precommit-e2e: installing pre-commit (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pre-commit >/dev/null
  else
    echo "precommit-e2e: pre-commit is not installed (apt-get install pre-commit)" >&2
    exit 3
  fi
fi
echo "precommit-e2e: $(pre-commit --version), $(go version)"

# Go: the machine's module and build caches (read before HOME changes),
# no toolchain download.
GOMODCACHE=$(go env GOMODCACHE)
GOCACHE=$(go env GOCACHE)
export GOMODCACHE GOCACHE GOFLAGS=-mod=mod GOTOOLCHAIN=local

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=berth-e2e GIT_AUTHOR_EMAIL=e2e@berth.invalid
export GIT_COMMITTER_NAME=berth-e2e GIT_COMMITTER_EMAIL=e2e@berth.invalid
export GIT_CONFIG_NOSYSTEM=1 HOME=$work/home
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global commit.gpgsign false

export PRE_COMMIT_HOME=$work/pre-commit-cache

# 1. The hook repository: the working tree, committed.
hooks=$work/berth
mkdir -p "$hooks"
if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  tar -C "$root" -cf - . | tar -xf - -C "$hooks" # an exported tree, not a clone
elif [[ ${BERTH_E2E_SOURCE:-worktree} == head ]]; then
  git -C "$root" archive HEAD | tar -xf - -C "$hooks"
else
  (
    cd "$root"
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [[ -f $f ]] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -
  ) | tar -xf - -C "$hooks"
fi
git -C "$hooks" init -q
git -C "$hooks" add -A
git -C "$hooks" commit -q -m "berth working tree for the pre-commit e2e test"
rev=$(git -C "$hooks" rev-parse HEAD)

# 2. A user's project with berth's hook.
project=$work/project
mkdir -p "$project"
cd "$project"
git init -q
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: berth-lint
YAML
git add .pre-commit-config.yaml
git commit -q -m "pre-commit configuration"
start=$(date +%s)
pre-commit install-hooks
pre-commit install >/dev/null
echo "precommit-e2e: hook environment built in $(( $(date +%s) - start ))s"

fail() { echo "precommit-e2e: FAIL: $*" >&2; exit 1; }

# 3. A good compose file is committed.
mkdir -p app
cat > app/compose.yaml <<'YAML'
services:
  web:
    image: nginx:1.27
    ports:
      - "127.0.0.1:8080:80"
YAML
git add app/compose.yaml
if ! out=$(git commit -m "a good compose file" 2>&1); then
  echo "$out"
  fail "the good compose file was blocked"
fi
echo "$out" | grep -q "berth lint.*Passed" || { echo "$out"; fail "the hook did not run on the good file"; }
echo "precommit-e2e: good file committed"

# 4. A broken compose file is blocked, with a positioned finding.
cat > docker-compose.yml <<'YAML'
services:
  db:
    image: postgres:16
   restart: always
YAML
git add docker-compose.yml
if out=$(git commit -m "a broken compose file" 2>&1); then
  echo "$out"
  fail "the broken compose file was committed"
fi
echo "$out"
echo "$out" | grep -q "docker-compose.yml:4:4: .*BR001" || fail "no BR001 finding at docker-compose.yml:4:4"
[[ -z $(git log --oneline -- docker-compose.yml) ]] || fail "docker-compose.yml is in the history"

# 5. A file whose name does not match the hook's pattern is not linted.
printf 'not: [valid\n' > notes.yaml
git add notes.yaml
git reset -q docker-compose.yml
git commit -q -m "not a compose file" || fail "a non-compose YAML file was linted"
echo "precommit-e2e: passed"
