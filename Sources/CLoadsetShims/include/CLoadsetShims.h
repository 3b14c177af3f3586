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

#endif
