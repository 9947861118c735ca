# CMake toolchain file: cross-compile for Windows x64 with mingw-w64 (posix thread model).
# Used for both the static libzmq build and the bridge DLL (scripts/build-bridge.sh).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
# Windows Vista / Server 2008 or later (_WIN32_WINNT 0x0600): libzmq derives it from this.
set(CMAKE_SYSTEM_VERSION 6.0)

set(CB_MINGW_PREFIX x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${CB_MINGW_PREFIX}-gcc-posix ${CB_MINGW_PREFIX}-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${CB_MINGW_PREFIX}-g++-posix ${CB_MINGW_PREFIX}-g++ REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${CB_MINGW_PREFIX}-windres windres)
find_program(CMAKE_AR NAMES ${CB_MINGW_PREFIX}-gcc-ar-posix ${CB_MINGW_PREFIX}-ar)
find_program(CMAKE_RANLIB NAMES ${CB_MINGW_PREFIX}-gcc-ranlib-posix ${CB_MINGW_PREFIX}-ranlib)

set(CMAKE_FIND_ROOT_PATH /usr/${CB_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
