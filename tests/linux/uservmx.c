#define _GNU_SOURCE
/*
 * uservmx: execute each VMX instruction in user mode, one after another.
 * Under odv-hv these exit before the CPU checks CPL, so a user process
 * reaches odv-hv with them; the guest must get #UD (SIGILL, at the
 * instruction itself), as on a CPU without VMX, and the machine must go on.
 * One verdict line per instruction, then a summary line.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile int got_sig;
static volatile unsigned long got_rip;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	got_sig = sig;
	got_rip = (unsigned long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	siglongjmp(back, 1);
}

/* Operands the memory forms may touch: a page of zeros. */
static uint8_t scratch[4096] __attribute__((aligned(4096)));

/* Each instruction under its own label, so the signal's RIP can be checked. */
#define VMX_INSN(name, text)                                                  \
	extern char insn_##name[];                                            \
	static void run_##name(void)                                          \
	{                                                                     \
		__asm__ volatile(".globl insn_" #name "\ninsn_" #name ": " text \
				 :: "a"(scratch), "b"(0UL), "c"(1UL)          \
				 : "memory", "cc");                           \
	}

VMX_INSN(vmxon, "vmxon (%%rax)")
VMX_INSN(vmxoff, "vmxoff")
VMX_INSN(vmclear, "vmclear (%%rax)")
VMX_INSN(vmptrld, "vmptrld (%%rax)")
VMX_INSN(vmptrst, "vmptrst (%%rax)")
VMX_INSN(vmread, "vmread %%rbx, %%rcx")
VMX_INSN(vmwrite, "vmwrite %%rcx, %%rbx")
VMX_INSN(vmlaunch, "vmlaunch")
VMX_INSN(vmresume, "vmresume")
VMX_INSN(invept, "invept (%%rax), %%rcx")
VMX_INSN(invvpid, "invvpid (%%rax), %%rcx")
VMX_INSN(vmfunc, "vmfunc")

static const struct {
	const char *name;
	void (*run)(void);
	const char *at;
} insns[] = {
#define I(n) { #n, run_##n, insn_##n }
	I(vmxon), I(vmxoff), I(vmclear), I(vmptrld), I(vmptrst), I(vmread),
	I(vmwrite), I(vmlaunch), I(vmresume), I(invept), I(invvpid), I(vmfunc),
#undef I
};

/* Run instruction i; the signal it raised (0: none), its RIP in got_rip. */
static int attempt(unsigned i)
{
	got_sig = 0;
	if (!sigsetjmp(back, 1))
		insns[i].run();
	return got_sig;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	unsigned pass = 0, n = sizeof(insns) / sizeof(insns[0]);
	for (unsigned i = 0; i < n; i++) {
		int sig = attempt(i);
		if (sig == SIGILL && got_rip == (unsigned long)insns[i].at) {
			printf("uservmx: PASS %s at cpl 3 raised SIGILL (#UD) at the instruction\n", insns[i].name);
			pass++;
		} else if (sig) {
			printf("uservmx: FAIL %s at cpl 3 raised %s at 0x%lx (instruction at %p)\n",
			       insns[i].name, strsignal(sig), got_rip, (void *)insns[i].at);
		} else {
			printf("uservmx: FAIL %s at cpl 3 returned normally\n", insns[i].name);
		}
		fflush(stdout);
	}
	printf("uservmx: %u of %u VMX instructions raised SIGILL\n", pass, n);
	return pass == n ? 0 : 1;
}
