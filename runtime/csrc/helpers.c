// setjmp/longjmp support for trap handling. Rust cannot call setjmp safely, so the
// returns-twice part lives here: stagec_catch runs `body(payload)` with a jump buffer
// published through `*buf_slot`; a trap handler jumps back with stagec_unwind(buf).
#include <setjmp.h>

int stagec_catch(void **buf_slot, void (*body)(void *), void *payload) {
  sigjmp_buf buf;
  if (sigsetjmp(buf, 0) != 0) {
    return 0;
  }
  *buf_slot = &buf;
  body(payload);
  return 1;
}

void stagec_unwind(void *buf) { siglongjmp(*(sigjmp_buf *)buf, 1); }
