# cmake -DPKG_CONFIG=... -DCC=... -DPC_DIR=... -DPREFIX=... -DKIND=shared|static -DSOURCE=...
#       -DOUT=... [-DREADELF=...] [-DEXTRA_FLAGS=...] -P pkg_config_build.cmake
# Builds SOURCE with the C compiler and nothing but `pkg-config tokcount` flags, then runs it.
# shared: -ltokcount resolves to libtokcount.so; the program finds it through an rpath to the
#         libdir pkg-config reports.
# static: `pkg-config --static` supplies the dependencies and -ltokcount is pinned to the
#         archive (-l:libtokcount.a), as a user linking statically would do.
cmake_minimum_required(VERSION 3.22)
set(ENV{PKG_CONFIG_PATH} "${PC_DIR}")

function(pkg_config out)
  execute_process(COMMAND "${PKG_CONFIG}" ${ARGN} tokcount
    OUTPUT_VARIABLE value ERROR_VARIABLE err RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} tokcount failed: ${err}")
  endif()
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

# The .pc file is relocatable (${pcfiledir}); its libdir must be inside the test prefix.
pkg_config(libdir --variable=libdir)
file(REAL_PATH "${libdir}" libdir_real)
file(REAL_PATH "${PREFIX}" prefix_real)
string(FIND "${libdir_real}/" "${prefix_real}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "pkg-config libdir ${libdir_real} is not under ${prefix_real}")
endif()
pkg_config(version --modversion)
message(STATUS "tokcount.pc version ${version}, libdir ${libdir_real}")

if(KIND STREQUAL "static")
  pkg_config(flags --cflags --libs --static)
else()
  pkg_config(flags --cflags --libs)
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
if(NOT "-ltokcount" IN_LIST flags)
  message(FATAL_ERROR "pkg-config --libs does not name -ltokcount: ${flags}")
endif()
if(KIND STREQUAL "static")
  list(TRANSFORM flags REPLACE "^-ltokcount$" "-l:libtokcount.a")
else()
  list(APPEND flags "-Wl,-rpath,${libdir_real}")
endif()
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")

# C99 with warnings as errors: the header must be clean for strict C consumers.
set(cmd "${CC}" -std=c99 -pedantic -Wall -Wextra -Werror ${extra} "${SOURCE}" ${flags} -o "${OUT}")
list(JOIN cmd " " cmd_text)
message(STATUS "${cmd_text}")
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "compiling with pkg-config flags failed (${rc})")
endif()

if(READELF)
  execute_process(COMMAND "${READELF}" -d "${OUT}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
  string(FIND "${dynamic}" "libtokcount.so" needs_shared)
  if(KIND STREQUAL "static" AND NOT needs_shared EQUAL -1)
    message(FATAL_ERROR "the static build still needs libtokcount.so:\n${dynamic}")
  elseif(KIND STREQUAL "shared" AND needs_shared EQUAL -1)
    message(FATAL_ERROR "the shared build does not use libtokcount.so:\n${dynamic}")
  endif()
endif()

execute_process(COMMAND "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OUT} failed (${rc})")
endif()
