#!/usr/bin/env bash
# Create the venvs of the benchmark's peer clients (singer-sdk, airbyte-cdk), one each:
# their dependencies are heavy and conflict with each other and with reposix's, so neither
# is part of the dev extra nor of CI. `bench_github.py --peers` looks for them in the same
# place: $REPOSIX_PEER_VENVS, else ${XDG_CACHE_HOME:-~/.cache}/reposix-bench-peers.
#
#   bash benchmarks/peers/setup.sh            # both
#   bash benchmarks/peers/setup.sh singer     # one
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${REPOSIX_PEER_VENVS:-${XDG_CACHE_HOME:-$HOME/.cache}/reposix-bench-peers}"
python="${PYTHON:-python3}"
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(singer airbyte)
for peer in "${peers[@]}"; do
  req="$here/requirements-$peer.txt"
  [ -f "$req" ] || { echo "unknown peer '$peer' (no $req)" >&2; exit 2; }
  echo "==> $peer: $root/$peer"
  "$python" -m venv --clear "$root/$peer"
  "$root/$peer/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  "$root/$peer/bin/python" -m pip freeze --disable-pip-version-check > "$root/$peer/installed.txt"
done
echo "done; run: python benchmarks/bench_github.py --peers"
