#ifndef ODV_SERIAL_H
#define ODV_SERIAL_H
#include "types.h"
#define COM1 0x3f8
void serial_init(uint16_t port);
void serial_write(const char *s, size_t n);
void serial_flush(void);
#endif
