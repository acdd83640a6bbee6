/* Library for the tiny test guests: console, descriptor tables, probes. */
#ifndef ODV_GUEST_H
#define ODV_GUEST_H
#include "types.h"
#include "fmt.h"
#include "odv_abi.h"
#include "odv_testguest.h"

extern const char *guest_name;
extern int guest_failures;

void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "guest-x: PASS what" / "guest-x: FAIL what: detail"; returns ok. */
bool check(bool ok, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void guest_done(void) __attribute__((noreturn));
int guest_main(struct odv_tg_info *info);
void set_irq_gate(unsigned vector, void (*entry)(void));

struct regs_frame {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};
/* Optional hook: return true if the exception was expected and handled. */
extern bool (*exception_hook)(struct regs_frame *f);
extern volatile uint64_t last_fault_vector;

/* asm probes (start.asm) */
int rdmsr_probe(uint32_t msr, uint64_t *val);
int write_cr4_probe(uint64_t v);
int vmxon_probe(uint64_t *region_phys);
int ud2_probe(void);
int xsetbv_probe(uint64_t xcr0);
void devirt_call(uint64_t out[17]);
void run_user_vmcall(void);
extern char user_vmcall_insn[], user_return[];
extern char __load_start[], __image_end[];

static inline void g_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline uint64_t g_read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t g_read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline uint64_t g_read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void g_outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint8_t g_inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void g_outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint32_t g_inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void g_wrmsr(uint32_t m, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(m), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
/* A hypercall at CPL 0: returns RAX, RBX/RCX outputs through pointers. */
static inline uint64_t hypercall(uint64_t fn, uint64_t *rbx, uint64_t *rcx)
{
	uint64_t a = fn, b = rbx ? *rbx : 0, c = rcx ? *rcx : 0;
	__asm__ volatile("vmcall" : "+a"(a), "+b"(b), "+c"(c) :: "rdx", "memory");
	if (rbx) *rbx = b;
	if (rcx) *rcx = c;
	return a;
}

#endif
