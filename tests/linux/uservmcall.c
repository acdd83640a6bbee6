#define _GNU_SOURCE
/*
 * uservmcall: execute VMCALL (asking for ODV_HC_DEVIRT) in user mode. odv-hv
 * must answer with #UD, which Linux turns into SIGILL; nothing else may
 * happen. Prints one verdict line.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

extern char vmcall_insn[];

static void on_sigill(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	ucontext_t *u = uc;
	unsigned long rip = (unsigned long)u->uc_mcontext.gregs[REG_RIP];
	if (si->si_signo == SIGILL && rip == (unsigned long)vmcall_insn)
		printf("uservmcall: PASS vmcall at cpl 3 raised SIGILL (#UD) at the vmcall\n");
	else
		printf("uservmcall: FAIL SIGILL at 0x%lx, vmcall at %p\n", rip, (void *)vmcall_insn);
	fflush(stdout);
	exit(0);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	__asm__ volatile(".globl vmcall_insn\nvmcall_insn: vmcall" :: "a"(1UL) : "memory");
	printf("uservmcall: FAIL vmcall at cpl 3 returned normally\n");
	return 1;
}
