#!/usr/bin/env bash
# Install what nnbuild needs on Debian 12: emulators from apt, pinned Python packages from pip.
set -euo pipefail
cd "$(dirname "$0")"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
echo "[install] Debian packages: qemu-user"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq qemu-user >/dev/null
echo "[install] Python packages from requirements.txt"
python3 -m pip install -q --root-user-action=ignore -r requirements.txt
