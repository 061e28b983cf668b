# nnbuild from CMake: a model converted by nnbuild's steps and compiled by your build.
#
#   include(/path/to/nnbuild/cmake/nnbuild.cmake)
#   nnbuild_add_model(NAME af_detection TARGET loongarch64)
#   target_link_libraries(app PRIVATE af_detection::af_detection)   # and #include "af_detection.h"
#
# nnbuild_add_model(NAME <model> TARGET <nnbuild target>
#                   [MODEL <folder | file.onnx | file.tflite>]  # default: the checkout's models/<NAME>
#                   [OPTIONS <name=value>...]                  # calibration=, eval=, quantize=, inplace=, patch=,
#                                                              # vectors=, verify=0
#                   [DEPENDS <file>...])                        # more files whose change must rebuild it
#
# Each step is a custom command of its own (site_scons/nnbuild/step_command.py runs the step
# SCons runs): [quantize] the ONNX or PyTorch model to an int8 or 16x8 .tflite, [aot] the
# .tflite to C; your compiler (the toolchain file's) compiles the C with the kernels of
# TARGET (kernels/ and its instruction set's variants, which need your toolchain's flags for
# that set) into the static library <NAME>, one nnbuild_kernels_<TARGET> library shared by
# every model of the board. So models convert in parallel with the build's -j, and an edit
# reruns only the steps it reaches.
#
# For a Linux board, unless OPTIONS has verify=0, the build also links nnbuild's runner for
# TARGET with the model (<NAME>_firmware) and runs it on the model's evaluation data (or random
# vectors) under TARGET's emulator, byte for byte against TFLite Micro:
# ${CMAKE_BINARY_DIR}/nnbuild/<NAME>/verify.json.
# The model's files are in ${CMAKE_BINARY_DIR}/nnbuild/<NAME> (${<NAME>_NNBUILD_DIR}).

include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.16)
  message(FATAL_ERROR "nnbuild.cmake needs CMake 3.16 or newer.")
endif()

get_filename_component(_nnbuild_checkout "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(NNBUILD_DIR "${_nnbuild_checkout}" CACHE PATH "The nnbuild checkout whose steps build models")
find_program(NNBUILD_PYTHON NAMES python3 python DOC "Python with nnbuild's requirements")

# What every nnbuild step depends on: nnbuild's own code and templates.
function(_nnbuild_step_depends out)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS "${NNBUILD_DIR}/site_scons/*" "${NNBUILD_DIR}/templates/*")
  list(FILTER files EXCLUDE REGEX "/__pycache__/|\\.pyc$")
  set(${out} ${files} PARENT_SCOPE)
endfunction()

# A board, once: the kernels library (its sources as nnbuild picks them) and its family
# (step `board`).
function(_nnbuild_board target)
  if(NOT TARGET nnbuild_kernels_${target})
    set(listing "${CMAKE_BINARY_DIR}/nnbuild/board_${target}.cmake")
    execute_process(
      COMMAND "${NNBUILD_PYTHON}" "${NNBUILD_DIR}/site_scons/nnbuild/step_command.py" board "${target}" "${listing}"
      RESULT_VARIABLE failed ERROR_VARIABLE error)
    if(failed)
      message(FATAL_ERROR "nnbuild_add_model: ${error}")
    endif()
    include("${listing}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${NNBUILD_DIR}/targets/${target}.toml")
    add_library(nnbuild_kernels_${target} STATIC ${NNBUILD_KERNEL_SOURCES})
    target_include_directories(nnbuild_kernels_${target} PUBLIC "${NNBUILD_DIR}/kernels")
    target_compile_definitions(nnbuild_kernels_${target} PUBLIC NN_ALIGNMENT=${NNBUILD_ALIGNMENT})
    target_link_libraries(nnbuild_kernels_${target} PUBLIC m)
    set_property(GLOBAL PROPERTY NNBUILD_FAMILY_${target} ${NNBUILD_FAMILY})
  endif()
endfunction()

function(nnbuild_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;TARGET;MODEL" "OPTIONS;DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "nnbuild_add_model: unexpected arguments ${arg_UNPARSED_ARGUMENTS}; "
                        "it takes NAME, TARGET, MODEL, OPTIONS and DEPENDS.")
  endif()
  if(NOT arg_NAME OR NOT arg_TARGET)
    message(FATAL_ERROR "nnbuild_add_model: give NAME <model> and TARGET <nnbuild target>.")
  endif()
  if(NOT NNBUILD_PYTHON)
    message(FATAL_ERROR "nnbuild_add_model: no python3 found; set NNBUILD_PYTHON to a Python "
                        "with nnbuild's requirements.txt installed.")
  endif()
  if(NOT EXISTS "${NNBUILD_DIR}/site_scons/nnbuild/step_command.py")
    message(FATAL_ERROR "nnbuild_add_model: NNBUILD_DIR=${NNBUILD_DIR} is not an nnbuild checkout.")
  endif()
  if(arg_TARGET MATCHES "," OR NOT EXISTS "${NNBUILD_DIR}/targets/${arg_TARGET}.toml")
    file(GLOB targets RELATIVE "${NNBUILD_DIR}/targets" "${NNBUILD_DIR}/targets/*.toml")
    string(REPLACE ".toml" "" targets "${targets}")
    string(REPLACE ";" ", " targets "${targets}")
    message(FATAL_ERROR "nnbuild_add_model(${arg_NAME}): TARGET ${arg_TARGET}: give one of ${targets}.")
  endif()
  if(arg_TARGET STREQUAL "host" AND CMAKE_CROSSCOMPILING)
    message(WARNING "nnbuild_add_model(${arg_NAME}): TARGET host while cross compiling for "
                    "${CMAKE_SYSTEM_PROCESSOR}; name the nnbuild target of that processor.")
  endif()
  if(TARGET ${arg_NAME})
    message(FATAL_ERROR "nnbuild_add_model: model ${arg_NAME} is already added.")
  endif()

  # The model: a folder (models/<NAME> by default) or a file; its name prefixes its C API.
  if(arg_MODEL)
    get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  else()
    set(model "${NNBUILD_DIR}/models/${arg_NAME}")
  endif()
  if(IS_DIRECTORY "${model}")
    get_filename_component(model_name "${model}" NAME)
    file(GLOB_RECURSE model_files CONFIGURE_DEPENDS "${model}/*")
    list(FILTER model_files EXCLUDE REGEX "/__pycache__/|\\.pyc$")
    set(tflite_given FALSE)
    if(EXISTS "${model}/model.tflite" AND NOT EXISTS "${model}/model.onnx" AND NOT EXISTS "${model}/model.py")
      set(tflite_given "${model}/model.tflite")
    endif()
  elseif(EXISTS "${model}")
    get_filename_component(model_name "${model}" NAME_WLE)
    set(model_files "${model}")
    set(tflite_given FALSE)
    if(model MATCHES "\\.tflite$")
      set(tflite_given "${model}")
    endif()
  else()
    message(FATAL_ERROR "nnbuild_add_model(${arg_NAME}): no model ${model}.")
  endif()
  if(NOT model_name STREQUAL arg_NAME)
    message(FATAL_ERROR "nnbuild_add_model(NAME ${arg_NAME}): the model ${model} is named "
                        "${model_name} (its folder or file name, which prefixes its C API); "
                        "give NAME ${model_name}.")
  endif()

  # OPTIONS: each goes to the step that takes it; their files are the steps' inputs too.
  set(quantize_options "")
  set(aot_options "")
  set(verify_options "")
  set(data "")
  set(verify ON)
  foreach(option IN LISTS arg_OPTIONS)
    string(REGEX MATCH "^([a-z]+)=(.*)$" matched "${option}")
    set(key "${CMAKE_MATCH_1}")
    set(value "${CMAKE_MATCH_2}")
    if(key STREQUAL "calibration" OR key STREQUAL "eval")
      get_filename_component(value "${value}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      list(APPEND data "${value}")
      list(APPEND quantize_options "${key}=${value}")
      if(key STREQUAL "eval")
        list(APPEND verify_options "eval=${value}")
      endif()
    elseif(key STREQUAL "quantize")
      list(APPEND quantize_options "${option}")
    elseif(key STREQUAL "inplace" OR key STREQUAL "patch")
      list(APPEND aot_options "${option}")
    elseif(key STREQUAL "vectors")
      list(APPEND verify_options "${option}")
    elseif(option STREQUAL "verify=0")
      set(verify OFF)
    else()
      message(FATAL_ERROR "nnbuild_add_model(${arg_NAME}): OPTIONS ${option}: expected calibration=, eval=, "
                          "quantize=, inplace=, patch=, vectors= or verify=0 (your toolchain compiles the "
                          "model: the compiler and its flags are CMake's).")
    endif()
  endforeach()

  set(step "${NNBUILD_DIR}/site_scons/nnbuild/step_command.py")
  _nnbuild_step_depends(nnbuild_files)
  set(out "${CMAKE_BINARY_DIR}/nnbuild/${arg_NAME}")
  file(MAKE_DIRECTORY "${out}/aot")
  set(quant_report "-")
  if(tflite_given)
    set(tflite "${tflite_given}")
  else()
    set(tflite "${out}/${arg_NAME}.tflite")
    set(quant_report "${out}/quant_report.json")
    add_custom_command(
      OUTPUT "${tflite}" "${quant_report}"
      COMMAND "${NNBUILD_PYTHON}" "${step}" quantize "${model}" "${tflite}" "${quant_report}" ${quantize_options}
      DEPENDS ${model_files} ${data} ${nnbuild_files} ${arg_DEPENDS}
      COMMENT "[quantize] ${model}"
      VERBATIM)
  endif()
  set(generated "${out}/aot/${arg_NAME}.h" "${out}/aot/${arg_NAME}.c" "${out}/aot/${arg_NAME}_weights.c"
                "${out}/aot/aot_info.json")
  add_custom_command(
    OUTPUT ${generated}
    COMMAND "${NNBUILD_PYTHON}" "${step}" aot "${tflite}" "${arg_NAME}" ${generated} ${aot_options}
    DEPENDS "${tflite}" ${nnbuild_files} ${arg_DEPENDS}
    COMMENT "[aot] ${tflite}"
    VERBATIM)

  _nnbuild_board(${arg_TARGET})
  add_library(${arg_NAME} STATIC "${out}/aot/${arg_NAME}.c" "${out}/aot/${arg_NAME}_weights.c")
  target_include_directories(${arg_NAME} PUBLIC "${out}/aot")
  target_link_libraries(${arg_NAME} PUBLIC nnbuild_kernels_${arg_TARGET})
  add_library(${arg_NAME}::${arg_NAME} ALIAS ${arg_NAME})
  set(${arg_NAME}_NNBUILD_DIR "${out}" PARENT_SCOPE)

  get_property(family GLOBAL PROPERTY NNBUILD_FAMILY_${arg_TARGET})
  if(verify AND NOT family STREQUAL "linux")  # a bare-metal image needs nnbuild's startup and link script
    message(STATUS "nnbuild_add_model(${arg_NAME}): no verification for ${arg_TARGET} (a ${family} board) "
                   "in CMake; `scons target=${arg_TARGET}` builds and verifies its firmware.")
    set(verify OFF)
  endif()
  if(verify)
    add_custom_command(
      OUTPUT "${out}/runner.c"
      COMMAND "${NNBUILD_PYTHON}" "${step}" runner "${arg_NAME}" "${arg_TARGET}" "${out}/runner.c"
      DEPENDS ${nnbuild_files}
      COMMENT "[render] ${arg_NAME} runner for ${arg_TARGET}"
      VERBATIM)
    add_executable(${arg_NAME}_firmware "${out}/runner.c")
    target_link_libraries(${arg_NAME}_firmware PRIVATE ${arg_NAME})
    if(CMAKE_CROSSCOMPILING_EMULATOR)  # runs what this build links, rather than the board's emulator
      list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " emulator)
      list(APPEND verify_options "emulator=${emulator}")
    endif()
    set(report_input "")
    if(NOT quant_report STREQUAL "-")
      set(report_input "${quant_report}")
    endif()
    add_custom_command(
      OUTPUT "${out}/verify.json"
      COMMAND "${NNBUILD_PYTHON}" "${step}" verify $<TARGET_FILE:${arg_NAME}_firmware> "${tflite}" "${quant_report}"
              "${arg_TARGET}" "${out}/verify.json" "model=${model}" ${verify_options}
      DEPENDS ${arg_NAME}_firmware "${tflite}" ${report_input} ${data} ${nnbuild_files}
      COMMENT "[verify] ${arg_NAME} on ${arg_TARGET}"
      VERBATIM)
    add_custom_target(${arg_NAME}_verify ALL DEPENDS "${out}/verify.json")
  endif()
endfunction()
