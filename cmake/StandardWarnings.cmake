# Warnings live on an INTERFACE target that our targets link privately, so
# dependencies' headers are not held to them.
add_library(lingopipe_warnings INTERFACE)
target_compile_options(lingopipe_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wformat=2
  -Wimplicit-fallthrough)
if(LINGOPIPE_WERROR)
  target_compile_options(lingopipe_warnings INTERFACE -Werror)
endif()
