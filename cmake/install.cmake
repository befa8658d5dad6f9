# What `cmake --install` puts under the prefix beyond the targets' own rules (src/, apps/, python/): the public
# headers, the CMake package and pkg-config file for C++ programs, and the man pages.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/xpulse DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/generated/xpulse/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xpulse)

set(XPULSE_LIBRARY_FILE "libxpulse.so.${PROJECT_VERSION}")
set(XPULSE_LIBRARY_SONAME "libxpulse.so.${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
set(XPULSE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/xpulse)
configure_package_config_file(cmake/xpulseConfig.cmake.in ${CMAKE_BINARY_DIR}/package/xpulseConfig.cmake
  INSTALL_DESTINATION ${XPULSE_CMAKE_DIR} PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/xpulseConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/xpulseConfig.cmake ${CMAKE_BINARY_DIR}/package/xpulseConfigVersion.cmake
  DESTINATION ${XPULSE_CMAKE_DIR})
# The prefix is substituted at install time, so `cmake --install --prefix P` writes a file that points at P.
configure_file(cmake/xpulse.pc.in ${CMAKE_BINARY_DIR}/package/xpulse.pc.in @ONLY)
install(CODE "
  file(READ \"${CMAKE_BINARY_DIR}/package/xpulse.pc.in\" pc)
  string(REPLACE \"%XPULSE_PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/xpulse.pc\" \"\${pc}\")
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/xpulse.pc\")")

# Man pages from each command's --help (help2man), remade whenever the binary changes.
find_program(HELP2MAN help2man)
if(NOT HELP2MAN)
  message(FATAL_ERROR "help2man was not found: it makes the man pages (apt install help2man; scripts/bootstrap.sh does)")
endif()
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/xpulse.1
  COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/man_pages.sh $<TARGET_FILE:xpulse> ${CMAKE_BINARY_DIR}/man ${PROJECT_VERSION}
  DEPENDS xpulse ${PROJECT_SOURCE_DIR}/cmake/man_pages.sh
  COMMENT "Making the man pages from xpulse --help" VERBATIM)
add_custom_target(xpulse_man_pages ALL DEPENDS ${CMAKE_BINARY_DIR}/man/xpulse.1)
install(DIRECTORY ${CMAKE_BINARY_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
