# One library target per folder of src/promorec/. Sources are the folder's
# *.cc files; *_test.cc files form the module's test program and *_fuzz.cc
# files are libFuzzer targets (only with PROMOREC_FUZZ).

set(PROMOREC_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wconversion
    -Wsign-conversion -Wnull-dereference -Wdouble-promotion -Wformat=2
    -Wimplicit-fallthrough -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports std::string copies at -O3 as overlapping memcpy calls
  # (GCC bug 105329); the warning is wrong there and nowhere useful here.
  list(APPEND PROMOREC_WARNINGS -Wno-restrict)
endif()

if(PROMOREC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
if(PROMOREC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PROMOREC_FUZZ needs clang (libFuzzer)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

function(promorec_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;EXTERNAL;TEST_DEPS" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_sources)
  set(test_sources)
  set(fuzz_sources)
  foreach(src IN LISTS all_sources)
    if(src MATCHES "_test\\.cc$")
      list(APPEND test_sources ${src})
    elseif(src MATCHES "_fuzz\\.cc$")
      list(APPEND fuzz_sources ${src})
    elseif(NOT src MATCHES "/main\\.cc$")
      list(APPEND lib_sources ${src})
    endif()
  endforeach()

  set(target promorec_${name})
  add_library(${target} STATIC ${lib_sources})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${target} PRIVATE ${PROMOREC_WARNINGS})
  set(deps)
  foreach(dep IN LISTS ARG_DEPS)
    list(APPEND deps promorec_${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC ${deps} ${ARG_EXTERNAL})

  if(PROMOREC_TESTS AND test_sources)
    add_executable(${target}_test ${test_sources})
    target_compile_options(${target}_test PRIVATE ${PROMOREC_WARNINGS})
    target_link_libraries(${target}_test PRIVATE ${target} ${ARG_TEST_DEPS}
                          GTest::gtest GTest::gtest_main GTest::gmock)
    target_compile_definitions(${target}_test PRIVATE
        PROMOREC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME ${name}_unit COMMAND ${target}_test)
  endif()

  if(PROMOREC_FUZZ)
    foreach(src IN LISTS fuzz_sources)
      get_filename_component(fuzz_name ${src} NAME_WE)
      add_executable(${fuzz_name} ${src})
      target_compile_options(${fuzz_name} PRIVATE ${PROMOREC_WARNINGS})
      target_link_options(${fuzz_name} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(${fuzz_name} PRIVATE ${target})
    endforeach()
  endif()
endfunction()
