/* odv-hv's virtual devices and the physical ones it drives behind them (vdev.c). */
#ifndef ODV_VDEV_H
#define ODV_VDEV_H
#include "types.h"

int vdev_setup(const char *cmdline);                /* 0 (also: none asked for), -1 */
void vdev_poll(bool force);                         /* frames from the wire (CPU 0, VM exits) */
uint64_t vdev_poll_period(void);                    /* TSC ticks; 0 = nothing to poll */
void vdev_release(void);                            /* before go-native: devices quiet */
const char *vdev_busy(void);                        /* a virtual device in use, or NULL */

#endif
