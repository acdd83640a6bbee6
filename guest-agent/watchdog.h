/* The step watchdog for the frozen part of a conversion (watchdog.c). */
#ifndef ODV_WATCHDOG_H
#define ODV_WATCHDOG_H
#include <stdbool.h>
#include <stddef.h>
#include "testpoint.h"

/* ---- step watchdog for the frozen part of a conversion (watchdog.c) ---- */
#define ODV_STEP_TIMEOUT_S 120     /* default deadline of one step (--step-timeout) */
/* Arm a deadline for the named step (0 s: none); replaces the previous one. 0 or -errno. */
int step_begin(const char *name, unsigned seconds);
void step_end(void);
bool step_expired(void);
/* "step 'NAME' did not finish within N s ...": call before step_end(). */
const char *step_expired_why(char *buf, size_t n);
/* Tests (--test-stall POINT): at that point (here == stall), wait until the
 * watchdog fires and return -ETIMEDOUT; elsewhere return 0 at once. */
int test_stall_here(enum test_point stall, enum test_point here);

#endif
