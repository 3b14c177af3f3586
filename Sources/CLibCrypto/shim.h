#ifndef LOADSMITH_CLIBCRYPTO_SHIM_H
#define LOADSMITH_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#endif
