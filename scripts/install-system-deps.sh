#!/usr/bin/env bash
# Installs the Debian packages Ghostline's tests and training need (idempotent; skips what is present):
#   python3-torch python3-numpy python3-sentencepiece libopenblas0-pthread  (training, parity test, fine-tune)
#   postgresql                                                             (Postgres event store tests)
#   chromium                                                               (playground end-to-end test)
set -euo pipefail
need=()
for pkg in python3-torch python3-numpy python3-sentencepiece libopenblas0-pthread postgresql chromium; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$pkg")
  fi
done
if [ ${#need[@]} -eq 0 ]; then
  echo "system deps: all present"
  exit 0
fi
echo "system deps: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "system deps: done"
