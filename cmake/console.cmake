# The operator console (console/, docs/console.md): every file there is
# compiled into estd as bytes by embed_console.cmake, regenerated when one
# changes. No front-end build step: the files are what the browser gets.
# Sets ESTD_CONSOLE_SOURCE to the generated .cpp; `source_dir` is estd's
# source tree (the fuzz build is a project of its own).
function(estd_embed_console source_dir)
  file(GLOB console_files CONFIGURE_DEPENDS ${source_dir}/console/*)
  set(names "")
  foreach(console_file IN LISTS console_files)
    get_filename_component(console_name ${console_file} NAME)
    list(APPEND names ${console_name})
  endforeach()
  list(SORT names)
  # A build context without console/ (a container build, say) would make an
  # estd whose /est answers 404; stop the build instead.
  if(NOT "index.html" IN_LIST names)
    message(FATAL_ERROR "${source_dir}/console/index.html is missing: the operator console "
                        "is compiled into estd from console/")
  endif()
  # '|' separates the names on the command line (a ';' would split the argument).
  string(REPLACE ";" "|" names_arg "${names}")
  set(output ${CMAKE_BINARY_DIR}/generated/console_assets.cpp)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DASSET_DIR=${source_dir}/console "-DASSETS=${names_arg}"
            -DOUTPUT=${output} -P ${source_dir}/cmake/embed_console.cmake
    DEPENDS ${console_files} ${source_dir}/cmake/embed_console.cmake
    COMMENT "Embedding the operator console (console/)"
    VERBATIM)
  set(ESTD_CONSOLE_SOURCE ${output} PARENT_SCOPE)
endfunction()
