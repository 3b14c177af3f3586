#ifndef CLOADSETSHIMS_H
#define CLOADSETSHIMS_H
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>

/* renameat2(2) through syscall(2): older glibc has no wrapper, and Swift cannot call the
   variadic syscall() itself. flags: 1 = RENAME_NOREPLACE, 2 = RENAME_EXCHANGE. */
static inline int loadsmith_renameat2(int olddirfd, const char *oldpath, int newdirfd,
                                      const char *newpath, unsigned int flags) {
  return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

/* _exit(2) for fault injection: leaves without flushing, unlinking or running atexit. */
static inline void loadsmith_exit_now(int status) { _exit(status); }

/* Hashing a mapped file: a file truncated while mapped raises SIGBUS when the hasher touches a
   page past its new end. loadsmith_guarded_update calls update(ctx, data, count) (EVP_DigestUpdate)
   with a SIGBUS guard on the calling thread: a fault inside [data, data + count) during the call
   returns -1 instead of killing the process (ctx is then unusable until re-initialised); any other
   SIGBUS still kills. Returns update's result otherwise. The handler is installed on first use. */
struct evp_md_ctx_st;
typedef int (*loadsmith_update_fn)(struct evp_md_ctx_st *ctx, const void *data, size_t count);
int loadsmith_guarded_update(loadsmith_update_fn update, struct evp_md_ctx_st *ctx,
                             const void *data, size_t count);

#endif
