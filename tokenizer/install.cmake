# Installation and packaging, included from tokenizer/CMakeLists.txt after the library targets:
# both libraries, the public headers, a CMake package (find_package(tokcount) ->
# tokcount::tokcount, tokcount::tokcount_static) and a pkg-config file (tokcount.pc).
include(CMakePackageConfigHelpers)

# Every header in include/tokcount/ is public (features add theirs there).
file(GLOB TOKCOUNT_PUBLIC_HEADERS CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_LIST_DIR}/include/tokcount/*.h ${CMAKE_CURRENT_LIST_DIR}/include/tokcount/*.hpp)

# tokcount.h is hand-written (it must compile without a build tree); keep its version
# macros and ABI version in step with project() here rather than discovering a mismatch in a
# user's program.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/include/tokcount/tokcount.h _tc_version_lines
     REGEX "^#define TOKCOUNT_(VERSION_(MAJOR|MINOR|PATCH)|ABI_VERSION) ")
foreach(_tc_line IN LISTS _tc_version_lines)
  string(REGEX MATCH "^#define (TOKCOUNT_[A-Z_]+) ([0-9]+)" _ "${_tc_line}")
  set(_tc_h_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
endforeach()
if(NOT "${_tc_h_TOKCOUNT_VERSION_MAJOR}.${_tc_h_TOKCOUNT_VERSION_MINOR}.${_tc_h_TOKCOUNT_VERSION_PATCH}"
   STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "tokcount.h says version ${_tc_h_TOKCOUNT_VERSION_MAJOR}."
    "${_tc_h_TOKCOUNT_VERSION_MINOR}.${_tc_h_TOKCOUNT_VERSION_PATCH} but project() says "
    "${PROJECT_VERSION}: update TOKCOUNT_VERSION_* in tokcount.h")
endif()
if(NOT _tc_h_TOKCOUNT_ABI_VERSION)
  message(FATAL_ERROR "tokcount.h does not define TOKCOUNT_ABI_VERSION")
endif()

# The SONAME follows the C ABI version, not the release number: libtokcount.so.<ABI>.
set_target_properties(tokcount_shared PROPERTIES SOVERSION ${_tc_h_TOKCOUNT_ABI_VERSION})

# Shared library: export only the C API and the tokcount:: C++ API; internal symbols and the
# template code of dependencies stay private, so they cannot clash with a host's copies.
if(CMAKE_SYSTEM_NAME MATCHES "Linux|BSD|GNU" AND NOT APPLE)
  set(_tc_map ${CMAKE_CURRENT_LIST_DIR}/capi/tokcount.map)
  target_link_options(tokcount_shared PRIVATE "LINKER:--version-script=${_tc_map}")
  set_property(TARGET tokcount_shared APPEND PROPERTY LINK_DEPENDS ${_tc_map})
endif()

# Only matters where TOKCOUNT_API is dllexport/dllimport (Windows).
target_compile_definitions(tokcount_objects PRIVATE TOKCOUNT_BUILDING_LIBRARY)
target_compile_definitions(tokcount_static INTERFACE TOKCOUNT_STATIC)

set(TOKCOUNT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tokcount)

set_target_properties(tokcount_shared PROPERTIES EXPORT_NAME tokcount)
set_target_properties(tokcount_static PROPERTIES EXPORT_NAME tokcount_static)
install(TARGETS tokcount_shared tokcount_static EXPORT tokcountTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT tokcount_dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT tokcount_runtime
          NAMELINK_COMPONENT tokcount_dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tokcount_runtime)
install(FILES ${TOKCOUNT_PUBLIC_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tokcount COMPONENT tokcount_dev)

# ---- CMake package ----------------------------------------------------------------------
# The targets' link interface names absl::*, Threads::Threads and the PkgConfig::RE2 /
# PkgConfig::XXHASH / PkgConfig::ICU_UC / PkgConfig::TOMLPLUSPLUS targets the top-level CMakeLists creates; the config file re-creates them.
install(EXPORT tokcountTargets NAMESPACE tokcount:: DESTINATION ${TOKCOUNT_CMAKE_DIR}
  COMPONENT tokcount_dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tokcountConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tokcountConfig.cmake
  INSTALL_DESTINATION ${TOKCOUNT_CMAKE_DIR})
# Before 1.0 a minor release may change the API, so only the same minor version matches.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_tc_compat SameMinorVersion)
else()
  set(_tc_compat SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tokcountConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_tc_compat})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tokcountConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tokcountConfigVersion.cmake
  DESTINATION ${TOKCOUNT_CMAKE_DIR} COMPONENT tokcount_dev)

# ---- pkg-config -------------------------------------------------------------------------
# Requires.private is derived from the libraries' link dependencies (TOKCOUNT_DEPS), so a new
# dependency cannot be forgotten here: an unmapped one stops the configure step.
set(_tc_pc_requires "")
set(_tc_pc_libs_private "")
foreach(_tc_dep IN LISTS TOKCOUNT_DEPS)
  if(_tc_dep MATCHES "^absl::(.+)$")
    list(APPEND _tc_pc_requires "absl_${CMAKE_MATCH_1}")
  elseif(_tc_dep STREQUAL "PkgConfig::RE2")
    list(APPEND _tc_pc_requires re2)
  elseif(_tc_dep STREQUAL "PkgConfig::XXHASH")
    list(APPEND _tc_pc_requires libxxhash)
  elseif(_tc_dep STREQUAL "simdjson::simdjson")
    list(APPEND _tc_pc_requires simdjson)
  elseif(_tc_dep STREQUAL "PkgConfig::ICU_UC")
    list(APPEND _tc_pc_requires icu-uc)
  elseif(_tc_dep STREQUAL "PkgConfig::TOMLPLUSPLUS")
    list(APPEND _tc_pc_requires tomlplusplus)
  elseif(_tc_dep STREQUAL "OpenSSL::Crypto")
    list(APPEND _tc_pc_requires libcrypto)
  elseif(_tc_dep STREQUAL "Threads::Threads")
    list(APPEND _tc_pc_libs_private -pthread)
  else()
    message(FATAL_ERROR "install.cmake: no pkg-config name for dependency ${_tc_dep}")
  endif()
endforeach()
# The static library is C++: a C program linking it needs the C++ runtime.
list(APPEND _tc_pc_libs_private -lstdc++ -lm)
list(JOIN _tc_pc_requires " " TOKCOUNT_PC_REQUIRES_PRIVATE)
list(JOIN _tc_pc_libs_private " " TOKCOUNT_PC_LIBS_PRIVATE)

# Paths relative to the .pc file's own directory (${pcfiledir}), so the file stays right for
# `cmake --install --prefix`, DESTDIR staging and a moved install tree.
set(TOKCOUNT_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(TOKCOUNT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(TOKCOUNT_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(TOKCOUNT_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _tc_up /${TOKCOUNT_PC_DIR} /)
  string(REGEX REPLACE "/$" "" _tc_up "${_tc_up}")
  set(TOKCOUNT_PC_PREFIX "\${pcfiledir}/${_tc_up}")
  set(TOKCOUNT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(TOKCOUNT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/tokcount.pc.in ${CMAKE_CURRENT_BINARY_DIR}/tokcount.pc
  @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tokcount.pc DESTINATION ${TOKCOUNT_PC_DIR}
  COMPONENT tokcount_dev)
