# A room is a folder of src/ and one static library, estd::<room>: the
# folder's *.cpp, and its public headers under <room>/include/estd/<room>/.
# Only targets that link a room see its headers, so an include of a room the
# including room does not link (an upward include) fails to compile; the
# links are the "may use" column of docs/architecture.md.

add_library(estd_warnings INTERFACE)
target_compile_options(estd_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                               -Wno-sign-conversion -Werror)

# What every room and every program built on the rooms compiles with: the
# same Asio, Beast and spdlog configuration on both sides of each call.
add_library(estd_common INTERFACE)
target_compile_definitions(estd_common INTERFACE BOOST_ASIO_NO_DEPRECATED
                                                 BOOST_BEAST_USE_STD_STRING_VIEW SPDLOG_FMT_EXTERNAL)
target_link_libraries(estd_common INTERFACE Threads::Threads)

# estd_room(<room> [PUBLIC <target>...] [PRIVATE <target>...] [SOURCES <file>...])
# PUBLIC: rooms and libraries the room's public headers expose; PRIVATE:
# those only its sources use.
function(estd_room room)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PUBLIC;PRIVATE;SOURCES")
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(estd_${room} STATIC ${sources} ${arg_SOURCES})
  add_library(estd::${room} ALIAS estd_${room})
  target_include_directories(estd_${room} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(estd_${room} PUBLIC estd_common ${arg_PUBLIC}
                                     PRIVATE estd_warnings ${arg_PRIVATE})
endfunction()
