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
    g++                                            # runtime=executorch on the host: the package's C++ runtime
)
echo "[install] Debian packages: ${packages[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "[install] Python packages from requirements.txt"
python3 -m pip install -q --root-user-action=ignore -r requirements.txt
python3 -m pip install -q --root-user-action=ignore --no-deps -r requirements-nodeps.txt
