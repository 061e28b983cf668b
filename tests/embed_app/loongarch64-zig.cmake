# CMake toolchain file: zig cc (from the ziglang Python package) cross compiling for
# LoongArch64 Linux, static musl, with the flags of nnbuild's targets/loongarch64.toml.
# -Os as nnbuild's firmware: zig then reuses the C library it built for it (another
# optimization mode builds musl again, a minute).
#   cmake -DCMAKE_TOOLCHAIN_FILE=loongarch64-zig.cmake -DNNBUILD_TARGET=loongarch64 ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR loongarch64)

find_program(ZIG_PYTHON NAMES python3 REQUIRED)
execute_process(
  COMMAND "${ZIG_PYTHON}" -c "import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), 'zig'))"
  OUTPUT_VARIABLE ZIG OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
set(CMAKE_C_COMPILER "${ZIG}" cc)
set(CMAKE_C_FLAGS_INIT "-target loongarch64-linux-musl -mcpu=generic_la64+f+d -Os")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-loongarch64)
