# nnbuild from CMake: a model built by nnbuild at build time, linked like any library.
#
#   include(/path/to/nnbuild/cmake/nnbuild.cmake)
#   nnbuild_add_model(NAME af_detection TARGET loongarch64)
#   target_link_libraries(app PRIVATE af_detection::af_detection)   # and #include "af_detection.h"
#
# nnbuild_add_model(NAME <model> TARGET <nnbuild target>
#                   [MODEL <folder | file.onnx | file.tflite>]  # default: the checkout's models/<NAME>
#                   [OPTIONS <name=value>...]                  # more nnbuild options: verify=0, toolchain=gnu, ...
#                   [DEPENDS <file>...])                        # more files whose change must rebuild it
#
# At build time one SCons run builds every model added with the same TARGET and OPTIONS:
# `scons target=<TARGET> model=<MODEL>,<MODEL>... export=<dir>` in the nnbuild checkout
# NNBUILD_DIR (default: the one this file is in) with NNBUILD_PYTHON (a Python with
# nnbuild's requirements.txt), converting each model once and building them in parallel
# with the build's -j. A model's package lands in ${CMAKE_BINARY_DIR}/nnbuild/<TARGET>[-<n>]/<NAME>
# (${<NAME>_NNBUILD_PACKAGE}). Editing a model's files, or nnbuild's kernels, templates and
# code, runs it again; nnbuild then rebuilds only what changed, and the program relinks
# when a library did.
#
# TARGET is the board the package's code is compiled for: the one your toolchain builds for
# (host when it is this machine). Groups of different TARGET or OPTIONS run one after
# another: two SCons runs must not share a checkout at once.

include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.19)
  message(FATAL_ERROR "nnbuild.cmake needs CMake 3.19 or newer (cmake_language(DEFER)).")
endif()

get_filename_component(_nnbuild_checkout "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(NNBUILD_DIR "${_nnbuild_checkout}" CACHE PATH "The nnbuild checkout that builds models")
find_program(NNBUILD_PYTHON NAMES python3 python DOC "Python with nnbuild's requirements (SCons, ...)")

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
  if(NOT EXISTS "${NNBUILD_DIR}/SConstruct")
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
  if(TARGET ${arg_NAME}::${arg_NAME})
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
  elseif(EXISTS "${model}")
    get_filename_component(model_name "${model}" NAME_WLE)
    set(model_files "${model}")
  else()
    message(FATAL_ERROR "nnbuild_add_model(${arg_NAME}): no model ${model}.")
  endif()
  if(NOT model_name STREQUAL arg_NAME)
    message(FATAL_ERROR "nnbuild_add_model(NAME ${arg_NAME}): the model ${model} is named "
                        "${model_name} (its folder or file name, which prefixes its C API); "
                        "give NAME ${model_name}.")
  endif()
  # nnbuild's own sources: a new kernel or template must reach the package too.
  file(GLOB_RECURSE nnbuild_files CONFIGURE_DEPENDS
       "${NNBUILD_DIR}/site_scons/*" "${NNBUILD_DIR}/kernels/*" "${NNBUILD_DIR}/templates/*")
  set(depends ${model_files} ${nnbuild_files} "${NNBUILD_DIR}/SConstruct"
      "${NNBUILD_DIR}/targets/${arg_TARGET}.toml" ${arg_DEPENDS})
  list(FILTER depends EXCLUDE REGEX "/__pycache__/|\\.pyc$")

  # The model joins the SCons run of its TARGET and OPTIONS, declared once all are added.
  string(JOIN " " key "${arg_TARGET}" ${arg_OPTIONS})
  get_property(keys GLOBAL PROPERTY NNBUILD_GROUP_KEYS)
  list(FIND keys "${key}" group)
  if(group EQUAL -1)
    list(LENGTH keys group)
    set_property(GLOBAL APPEND PROPERTY NNBUILD_GROUP_KEYS "${key}")
    set_property(GLOBAL PROPERTY NNBUILD_GROUP_${group}_TARGET "${arg_TARGET}")
    set_property(GLOBAL PROPERTY NNBUILD_GROUP_${group}_OPTIONS "${arg_OPTIONS}")
    if(group EQUAL 0)
      cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _nnbuild_declare_runs)
    endif()
  endif()
  set(folder "${CMAKE_BINARY_DIR}/nnbuild/${arg_TARGET}")
  if(group GREATER 0)
    set(folder "${folder}-${group}")
  endif()
  set(package "${folder}/${arg_NAME}")
  set(library "${package}/lib/lib${arg_NAME}.a")
  set_property(GLOBAL APPEND PROPERTY NNBUILD_GROUP_${group}_NAMES "${arg_NAME}")
  set_property(GLOBAL APPEND PROPERTY NNBUILD_GROUP_${group}_MODELS "${model}")
  set_property(GLOBAL APPEND PROPERTY NNBUILD_GROUP_${group}_DEPENDS ${depends})
  set_property(GLOBAL PROPERTY NNBUILD_GROUP_${group}_FOLDER "${folder}")

  # What <NAME>Config.cmake in the package declares, known before the package exists.
  file(MAKE_DIRECTORY "${package}/include")
  add_library(${arg_NAME}::${arg_NAME} STATIC IMPORTED GLOBAL)
  set_target_properties(${arg_NAME}::${arg_NAME} PROPERTIES
    IMPORTED_LOCATION "${library}"
    IMPORTED_LINK_INTERFACE_LANGUAGES C
    INTERFACE_INCLUDE_DIRECTORIES "${package}/include"
    INTERFACE_LINK_LIBRARIES m)
  set(${arg_NAME}_NNBUILD_PACKAGE "${package}" PARENT_SCOPE)
endfunction()

# One custom command per group of models: a single SCons run builds them all.
function(_nnbuild_declare_runs)
  get_property(keys GLOBAL PROPERTY NNBUILD_GROUP_KEYS)
  list(LENGTH keys count)
  math(EXPR last "${count} - 1")
  set(previous "")
  foreach(group RANGE ${last})
    foreach(what TARGET OPTIONS NAMES MODELS DEPENDS FOLDER)
      get_property(${what} GLOBAL PROPERTY NNBUILD_GROUP_${group}_${what})
    endforeach()
    list(LENGTH NAMES models)
    if(models EQUAL 1)
      set(export "${FOLDER}/${NAMES}")      # one model: export= is its package
    else()
      set(export "${FOLDER}")               # several: export= gets a folder per model
    endif()
    set(byproducts "")
    foreach(name IN LISTS NAMES)
      list(APPEND byproducts "${FOLDER}/${name}/lib/lib${name}.a" "${FOLDER}/${name}/include/${name}.h")
    endforeach()
    list(JOIN MODELS "," model_option)
    list(JOIN NAMES " " names)
    list(REMOVE_DUPLICATES DEPENDS)
    set(stamp "${FOLDER}.stamp")
    add_custom_command(
      OUTPUT "${stamp}"
      BYPRODUCTS ${byproducts}
      COMMAND "${NNBUILD_PYTHON}" -m SCons -Q -C "${NNBUILD_DIR}"
              "target=${TARGET}" "model=${model_option}" "export=${export}" ${OPTIONS}
      COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
      DEPENDS ${DEPENDS}
      COMMENT "nnbuild: ${names} for ${TARGET}"
      USES_TERMINAL
      VERBATIM)
    add_custom_target(nnbuild_run_${group} DEPENDS "${stamp}")
    if(previous)
      add_dependencies(nnbuild_run_${group} ${previous})   # one SCons run at a time in the checkout
    endif()
    set(previous nnbuild_run_${group})
    foreach(name IN LISTS NAMES)
      add_dependencies(${name}::${name} nnbuild_run_${group})
    endforeach()
  endforeach()
endfunction()
