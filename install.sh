#!/usr/bin/env bash
# Install what nnbuild needs on Debian 12: emulators and cross compilers from apt,
# pinned Python packages (zig's cross compiler among them) from pip.
set -euo pipefail
cd "$(dirname "$0")"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
packages=(
    qemu-user                                      # loongarch64, riscv64, aarch64 Linux binaries
    qemu-system-arm                                # Cortex-M55 bare metal (mps3-an547)
    gcc-arm-none-eabi libnewlib-arm-none-eabi      # the bare-metal toolchain and C library
    libstdc++-arm-none-eabi-newlib                 # C++ for runtime=tflm on cortex-m55
    gcc-riscv64-linux-gnu gcc-aarch64-linux-gnu    # toolchain=gnu for milkv-duo and rpi4
    libc6-dev-riscv64-cross libc6-dev-arm64-cross
    chromium                                       # renders size.html in a test
    pkg-config bazel-bootstrap cmake make          # the build systems export= is tested with
    nginx-light                                    # a Bazel remote cache (WebDAV) in a test
    g++                                            # runtime=executorch on the host: the package's C++ runtime
)
echo "[install] Debian packages: ${packages[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# loongarch64-lsx runs under qemu 10 (Debian 12's qemu 7.2 has no LSX): the static
# qemu-loongarch64 of bookworm-backports' qemu-user, installed beside Debian's qemu-user (which
# stays, for the plain loongarch64 board) as qemu-loongarch64-10.
if ! command -v qemu-loongarch64-10 >/dev/null; then
    echo "[install] qemu-loongarch64-10 (qemu-user 10 from bookworm-backports)"
    printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: bookworm-backports" \
        "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
        $sudo tee /etc/apt/sources.list.d/nnbuild-backports.sources >/dev/null
    $sudo apt-get update -qq
    unpacked=$(mktemp -d)
    (cd "$unpacked" && apt-get download -qq qemu-user/bookworm-backports 2>/dev/null)
    dpkg-deb -x "$unpacked"/qemu-user_*.deb "$unpacked/root"
    $sudo install -m 755 "$unpacked/root/usr/bin/qemu-loongarch64" /usr/local/bin/qemu-loongarch64-10
    rm -rf "$unpacked"
fi
echo "[install] Python packages from requirements.txt"
python3 -m pip install -q --root-user-action=ignore -r requirements.txt
python3 -m pip install -q --root-user-action=ignore --no-deps -r requirements-nodeps.txt
# runtime=tpu: Sophgo's TPU-MLIR wants CPython 3.10 exactly (Debian 12 has 3.11): a venv of its
# own, .tpu-mlir, from a python3.10 on PATH or under pyenv. Without one, everything else works.
python310=""
pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for candidate in "$(command -v python3.10 || true)" "$pyenv_root"/versions/3.10.*/bin/python3.10; do
    # a pyenv shim is on PATH even when its version is not active: it must run
    if [ -z "$python310" ] && [ -x "$candidate" ] && "$candidate" -c "import venv" 2>/dev/null; then
        python310=$candidate
    fi
done
if [ -z "$python310" ]; then
    echo "[install] no Python 3.10 (python3.10 on PATH or pyenv's): runtime=tpu is unavailable;" \
         "install one (pyenv install 3.10) and run ./install.sh again"
elif ! cmp -s requirements-tpu.txt .tpu-mlir/requirements-tpu.txt; then
    echo "[install] TPU-MLIR for runtime=tpu in .tpu-mlir (Python 3.10: $python310)"
    rm -rf .tpu-mlir
    "$python310" -m venv .tpu-mlir
    .tpu-mlir/bin/python3.10 -m pip install -q --root-user-action=ignore -r requirements-tpu.txt
    cp requirements-tpu.txt .tpu-mlir/
fi
