# cmake -DBUILD_DIR=... -DPREFIX=... -DCONFIG=... -DLIBDIR=... -DINCLUDEDIR=... -P install_prefix.cmake
# A fresh `cmake --install` of the build tree's library components into PREFIX, then a check
# that the files users rely on are there.
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE "${PREFIX}")
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
# Only the library's components: they must be all a C/C++ consumer needs, and the test should
# not depend on other install rules (the CLI, Python module).
foreach(component tokcount_runtime tokcount_dev)
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                          --component ${component} ${config_args}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install --component ${component} failed (${rc})")
  endif()
endforeach()

foreach(f
    ${INCLUDEDIR}/tokcount/tokcount.h
    ${INCLUDEDIR}/tokcount/tokcount.hpp
    ${LIBDIR}/libtokcount.a
    ${LIBDIR}/libtokcount.so
    ${LIBDIR}/pkgconfig/tokcount.pc
    ${LIBDIR}/cmake/tokcount/tokcountConfig.cmake
    ${LIBDIR}/cmake/tokcount/tokcountConfigVersion.cmake
    ${LIBDIR}/cmake/tokcount/tokcountTargets.cmake)
  if(NOT EXISTS "${PREFIX}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# The development symlink must lead to the versioned shared library (SONAME link).
file(GLOB sonames "${PREFIX}/${LIBDIR}/libtokcount.so.*")
if(NOT sonames)
  message(FATAL_ERROR "no versioned libtokcount.so.* installed")
endif()
message(STATUS "installed into ${PREFIX}")
