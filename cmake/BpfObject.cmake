# SPDX-License-Identifier: BSD-2-Clause
# BpfObject.cmake - compile a BPF C program and generate its libbpf skeleton
# as real build targets (modelled on libbpf-bootstrap's FindBpfObject).
#
#   ad_bpf_object(<name> <source.bpf.c> [DEPENDS <header>...])
#
# produces <name>.bpf.o and <name>.skel.h in the current binary dir and an
# INTERFACE library <name>_skel whose include directory holds the skeleton;
# linking it makes a target wait for the generation. Every header the BPF
# program includes from the tree must be listed in DEPENDS so that editing it
# rebuilds the object and the skeleton (and therefore their users).
#
# Nothing here reads the running kernel: kernel types come from a small
# CO-RE header in the tree, relocated at load time.

find_program(AD_BPF_CLANG NAMES clang clang-14 clang-16 clang-19 REQUIRED)
find_program(AD_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

# clang -target bpf does not search the host's multiarch include dir, where
# Debian keeps <asm/errno.h> (needed by <bpf/usdt.bpf.h>). Ask the host clang
# for its system include dirs and append them with -idirafter.
execute_process(
  COMMAND ${AD_BPF_CLANG} -v -E -
  INPUT_FILE /dev/null
  OUTPUT_QUIET
  ERROR_VARIABLE _ad_clang_v
  RESULT_VARIABLE _ad_clang_rc)
if(NOT _ad_clang_rc EQUAL 0)
  message(FATAL_ERROR "${AD_BPF_CLANG} -v -E - failed: ${_ad_clang_v}")
endif()
string(REGEX MATCH "#include <\\.\\.\\.> search starts here:\n(.*)\nEnd of search list\\."
  _ad_unused "${_ad_clang_v}")
string(REPLACE "\n" ";" _ad_sys_dirs "${CMAKE_MATCH_1}")
set(AD_BPF_SYS_INCLUDES "")
foreach(_dir IN LISTS _ad_sys_dirs)
  string(STRIP "${_dir}" _dir)
  if(_dir)
    list(APPEND AD_BPF_SYS_INCLUDES -idirafter ${_dir})
  endif()
endforeach()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  set(AD_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(AD_BPF_ARCH arm64)
else()
  set(AD_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(ad_bpf_object name src)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(_src "${src}" ABSOLUTE)
  set(_obj "${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o")
  set(_skel "${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h")
  set(_deps "")
  foreach(_d IN LISTS ARG_DEPENDS)
    get_filename_component(_d "${_d}" ABSOLUTE)
    list(APPEND _deps "${_d}")
  endforeach()
  set(_incs "")
  foreach(_i IN LISTS LIBBPF_INCLUDE_DIRS)
    list(APPEND _incs -I${_i})
  endforeach()

  # DEPENDS names the tree's headers explicitly; the compiler's depfile
  # adds everything else it read (libbpf's bpf_helpers.h, usdt.bpf.h, the
  # UAPI headers), so upgrading libbpf-dev rebuilds the object too.
  add_custom_command(
    OUTPUT ${_obj}
    COMMAND ${AD_BPF_CLANG} -target bpf -mcpu=v3 -g -O2 -Wall -Werror
            -D__TARGET_ARCH_${AD_BPF_ARCH}
            -I${CMAKE_CURRENT_SOURCE_DIR} ${_incs} ${AD_BPF_SYS_INCLUDES}
            -MD -MF ${_obj}.d
            -c ${_src} -o ${_obj}
    DEPENDS ${_src} ${_deps}
    DEPFILE ${_obj}.d
    COMMENT "[clang -target bpf] ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${_skel}
    COMMAND ${AD_BPFTOOL} gen skeleton ${_obj} name ${name} > ${_skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${_skel}.tmp ${_skel}
    DEPENDS ${_obj}
    COMMENT "[bpftool gen skeleton] ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${_skel})

  add_library(${name}_skel INTERFACE)
  # SYSTEM: the generated skeleton is not -Wpedantic clean (empty structs,
  # a long string literal holding the object) and is not ours to fix.
  target_include_directories(${name}_skel SYSTEM INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
