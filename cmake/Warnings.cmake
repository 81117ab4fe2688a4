# Warnings for our own code. Generated code (protobuf, gRPC) is compiled without them.
add_library(rollrig_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(ROLLRIG_SHADOW_WARNING -Wshadow-uncaptured-local)  # clang's spelling (the fuzz build)
else()
  set(ROLLRIG_SHADOW_WARNING -Wshadow=local)
endif()
target_compile_options(rollrig_warnings INTERFACE
  -Wall -Wextra -Wpedantic ${ROLLRIG_SHADOW_WARNING} -Wnon-virtual-dtor -Wcast-qual -Wformat=2
  -Wimplicit-fallthrough)
if(ROLLRIG_WERROR)
  target_compile_options(rollrig_warnings INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 at -O2 reports false -Wrestrict / -Wstringop-overflow / -Warray-bounds errors
  # inside libstdc++'s std::string and std::vector code (GCC bugs 105329, 105651); only
  # these known false positives are kept from failing the build.
  target_compile_options(rollrig_warnings INTERFACE
    -Wno-error=restrict -Wno-error=stringop-overflow -Wno-error=array-bounds)
endif()

# rollrig_add_test(NAME SOURCES... LIBS libs... [LABELS labels...])
function(rollrig_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main rollrig_warnings)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS fast)
  endif()
  if("e2e" IN_LIST T_LABELS AND NOT ROLLRIG_BUILD_E2E_TESTS)
    # Defined (so what the caller sets on it still applies) but neither built nor listed.
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL ON)
    return()
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()
