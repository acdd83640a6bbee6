/* Basic freestanding types for odv-hv (no libc). */
#ifndef ODV_TYPES_H
#define ODV_TYPES_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define PAGE_SIZE  4096ull
#define SZ_2M      0x200000ull
#define SZ_1G      0x40000000ull
#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define BIT(n)           (1ull << (n))
#define BIT32(n)         (1u << (n))
#define __packed         __attribute__((packed))
#define __aligned(n)     __attribute__((aligned(n)))
#define __noreturn       __attribute__((noreturn))

#endif
