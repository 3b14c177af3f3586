#ifndef LOADSMITH_CZLIB_SHIM_H
#define LOADSMITH_CZLIB_SHIM_H
#include <zlib.h>
// Swift cannot call zlib's function-like macros; these wrap them.
static inline int loadsmith_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                         int memLevel, int strategy) {
  return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
static inline int loadsmith_inflateInit2(z_streamp strm, int windowBits) {
  return inflateInit2(strm, windowBits);
}
#endif
