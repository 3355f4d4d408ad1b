#!/usr/bin/env bash
# Static checks of the deployable infrastructure, offline (no AWS account, no AWS endpoint):
#   asl-validator        infra/statemachine.asl.json (placeholders replaced by dummy Lambda ARNs)
#   cfn-lint             infra/template.yaml (SAM transform applied; errors and warnings fail)
#   sam validate         the SAM translator's own validation, and `--lint`
#   checkov              infra/template.yaml, CloudFormation framework (suppressions live in the
#                        template, each with its reason)
#
# Installs its own tools on first run (needs PyPI and npm, nothing else), pinned, into
# git-ignored directories at the repository root, and reuses them afterwards:
#   .venv-infra   cfn-lint + checkov       scripts/requirements/infra.txt
#   .venv-sam     aws-sam-cli, alone (installed beside other tools it has downgraded their boto3)
#                                          scripts/requirements/sam.txt
#   .tools/node   asl-validator            scripts/node/package-lock.json
# Supply chain: every Python package, transitive ones included, is installed from a lock with
# its sha256 (`pip install --require-hashes`; regenerate with scripts/requirements/lock.sh), and
# the node tools with `npm ci --ignore-scripts` from a lockfile with integrity hashes, so no
# package's install script runs. A venv is rebuilt when its lock file changes.
# Prints one PASS/FAIL line per check and exits non-zero if any check failed.
set -uo pipefail

CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
SAM_CLI_VERSION=1.170.0
ASL_VALIDATOR_VERSION=4.0.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TEMPLATE=infra/template.yaml
ASL=infra/statemachine.asl.json

# Offline AWS context: a region for the SAM translator, dummy credentials so nothing looks for
# real ones, and no telemetry.
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=AKIAOFFLINECHECKS000 AWS_SECRET_ACCESS_KEY=offline-checks-not-a-secret
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '%s\n' "check-infra: $*" >&2; }

apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        log "cannot install $*: no apt-get; install it by hand"
        return 1
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "apt-get install $*"
    $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# ensure_venv DIR LOCKFILE PACKAGE==VERSION... : (re)create DIR from LOCKFILE unless it was built
# from this very lock and every pin is installed.
ensure_venv() {
    local dir="$1" lock="$2"; shift 2
    local want
    want="$(sha256sum "$lock" | awk '{print $1}')"
    if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/requirements.sha256" 2>/dev/null)" = "$want" ] \
        && "$dir/bin/python" - "$@" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(0 if all(version(p.split("==")[0]) == p.split("==")[1] for p in sys.argv[1:]) else 1)
EOF
        return 0
    fi
    log "installing $* into $dir"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        apt_install python3-venv || return 1
    fi
    rm -rf "$dir"
    python3 -m venv "$dir" || return 1
    "$dir/bin/pip" install -q --no-deps --require-hashes -r "$lock" || return 1
    echo "$want" >"$dir/requirements.sha256"
}

ensure_node_tools() {
    local bin=.tools/node/node_modules/.bin/asl-validator
    if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$ASL_VALIDATOR_VERSION" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm || return 1
    fi
    log "installing asl-validator@$ASL_VALIDATOR_VERSION into .tools/node (npm ci, lockfile, no install scripts)"
    rm -rf .tools/node
    mkdir -p .tools/node
    cp scripts/node/package.json scripts/node/package-lock.json .tools/node/
    npm ci --silent --ignore-scripts --no-audit --no-fund --prefix .tools/node >/dev/null || return 1
}

FAILED=0
declare -a SUMMARY=()

# run_check NAME COMMAND... : run, time, print PASS/FAIL; show the output on failure.
run_check() {
    local name="$1"; shift
    local out start end rc
    out="$(mktemp)"
    start=$(date +%s.%N)
    "$@" >"$out" 2>&1
    rc=$?
    end=$(date +%s.%N)
    local secs
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    if [ $rc -eq 0 ]; then
        SUMMARY+=("PASS  $name (${secs}s)")
        echo "PASS  $name (${secs}s)"
    else
        FAILED=1
        SUMMARY+=("FAIL  $name (${secs}s, exit $rc)")
        echo "FAIL  $name (${secs}s, exit $rc)"
        sed 's/^/    | /' "$out"
    fi
    rm -f "$out"
}

setup_start=$(date +%s)
setup_ok=1
ensure_venv .venv-infra scripts/requirements/infra.txt "cfn-lint==$CFN_LINT_VERSION" "checkov==$CHECKOV_VERSION" || { log "could not install cfn-lint/checkov"; setup_ok=0; }
ensure_venv .venv-sam scripts/requirements/sam.txt "aws-sam-cli==$SAM_CLI_VERSION" || { log "could not install aws-sam-cli"; setup_ok=0; }
ensure_node_tools || { log "could not install asl-validator"; setup_ok=0; }
log "tools ready in $(( $(date +%s) - setup_start ))s"
if [ $setup_ok -ne 1 ]; then
    echo "FAIL  tool installation"
    exit 1
fi

# The ASL names its Lambdas as ${XxxFunctionArn} placeholders that CloudFormation substitutes.
# Replace each with a dummy ARN of the same shape so the validator's ARN check applies, and make
# sure nothing that looks like a placeholder is left over.
asl_check() {
    local tmp
    tmp="$(mktemp --suffix=.json)"
    sed -E 's/\$\{([A-Za-z0-9]+)FunctionArn\}/arn:aws:lambda:us-east-1:123456789012:function:\1/g' "$ASL" >"$tmp"
    if grep -n '\${' "$tmp"; then
        echo "unexpected placeholder left in $ASL (only \${...FunctionArn} are substituted)"
        rm -f "$tmp"
        return 1
    fi
    .tools/node/node_modules/.bin/asl-validator --json-path "$tmp"
    local rc=$?
    rm -f "$tmp"
    return $rc
}

run_check "asl-validator $ASL" asl_check
# cfn-lint's exit code is a bit mask (2 error, 4 warning, 8 informational): anything is a failure.
run_check "cfn-lint $TEMPLATE" .venv-infra/bin/cfn-lint "$TEMPLATE"
run_check "sam validate $TEMPLATE" .venv-sam/bin/sam validate -t "$TEMPLATE"
run_check "sam validate --lint $TEMPLATE" .venv-sam/bin/sam validate --lint -t "$TEMPLATE"
# --skip-download: no Prisma Cloud guideline fetch (offline). The serverless framework of checkov
# is for Serverless Framework's serverless.yml, not SAM: the cloudformation framework covers SAM.
run_check "checkov $TEMPLATE" .venv-infra/bin/checkov -f "$TEMPLATE" --framework cloudformation \
    --skip-download --quiet --compact

echo
echo "check-infra summary:"
printf '  %s\n' "${SUMMARY[@]}"
if [ $FAILED -ne 0 ]; then
    echo "check-infra: FAIL"
    exit 1
fi
echo "check-infra: PASS"
