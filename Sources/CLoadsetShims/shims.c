#include "CLoadsetShims.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

/* The guard of loadsmith_guarded_update: where to jump, and the range whose faults it answers. */
static __thread sigjmp_buf *guard_jump;
static __thread const char *guard_low, *guard_high;
static struct sigaction previous_bus;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;

static void on_bus(int sig, siginfo_t *info, void *context) {
  const char *address = info ? (const char *)info->si_addr : 0;
  if (guard_jump && address >= guard_low && address < guard_high) siglongjmp(*guard_jump, 1);
  /* Not ours: behave as if we were never installed. */
  if (previous_bus.sa_flags & SA_SIGINFO) {
    if (previous_bus.sa_sigaction) { previous_bus.sa_sigaction(sig, info, context); return; }
  } else if (previous_bus.sa_handler != SIG_DFL && previous_bus.sa_handler != SIG_IGN) {
    previous_bus.sa_handler(sig);
    return;
  }
  signal(SIGBUS, SIG_DFL);
  if (!info || info->si_code <= 0) raise(SIGBUS); /* sent, not a fault: deliver it again */
  /* A fault: returning re-runs the faulting instruction, which now meets the default action. */
}

static void install_bus_handler(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_bus;
  /* SA_NODEFER: leaving the handler by siglongjmp must not leave SIGBUS blocked. */
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_bus);
}

int loadsmith_guarded_update(loadsmith_update_fn update, struct evp_md_ctx_st *ctx,
                             const void *data, size_t count) {
  pthread_once(&bus_once, install_bus_handler);
  sigjmp_buf jump;
  if (sigsetjmp(jump, 0)) {
    guard_jump = 0;
    return -1;
  }
  guard_low = (const char *)data;
  guard_high = (const char *)data + count;
  guard_jump = &jump;
  int result = update(ctx, data, count);
  guard_jump = 0;
  return result;
}
