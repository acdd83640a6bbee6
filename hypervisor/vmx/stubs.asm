; The only assembly in odv-hv besides the boot entry: VM entry/exit,
; host exception entry, fault-tolerant MSR access and the last steps of
; devirtualization. Everything else is C.
%include "exception_frame.inc"

%define GPR(n) ((n) * 8)        ; struct guest_regs: rax rcx rdx rbx rsp rbp rsi rdi r8..r15

extern vmx_handle_exit, vmx_entry_failed, hv_exception
global vmx_exit_stub, vmx_launch, rdmsr_safe, wrmsr_safe, exception_stubs
global devirt_finish, devirt_tramp, devirt_tramp_end, devirt_tail, devirt_tail_end

section .text
bits 64

; Load guest GPRs from the struct pointed to by rax (rax last).
%macro LOAD_GUEST_GPRS 0
	mov rcx, [rax + GPR(1)]
	mov rdx, [rax + GPR(2)]
	mov rbx, [rax + GPR(3)]
	mov rbp, [rax + GPR(5)]
	mov rsi, [rax + GPR(6)]
	mov rdi, [rax + GPR(7)]
	mov r8,  [rax + GPR(8)]
	mov r9,  [rax + GPR(9)]
	mov r10, [rax + GPR(10)]
	mov r11, [rax + GPR(11)]
	mov r12, [rax + GPR(12)]
	mov r13, [rax + GPR(13)]
	mov r14, [rax + GPR(14)]
	mov r15, [rax + GPR(15)]
	mov rax, [rax + GPR(0)]
%endmacro

; void vmx_launch(struct vcpu *v)  -- v starts with struct guest_regs.
; Returns only through vmx_entry_failed (noreturn) when VMLAUNCH fails.
vmx_launch:
	push rdi
	push rdi                        ; keep 16-byte alignment for the C call
	mov rax, rdi
	LOAD_GUEST_GPRS
	vmlaunch
	mov rdi, [rsp]
	call vmx_entry_failed
.dead:	hlt
	jmp .dead

; VM exit lands here with RSP = HOST_RSP, where [rsp] holds the vcpu pointer.
vmx_exit_stub:
	push rax
	mov rax, [rsp + 8]
	mov [rax + GPR(1)], rcx
	mov [rax + GPR(2)], rdx
	mov [rax + GPR(3)], rbx
	mov [rax + GPR(5)], rbp
	mov [rax + GPR(6)], rsi
	mov [rax + GPR(7)], rdi
	mov [rax + GPR(8)], r8
	mov [rax + GPR(9)], r9
	mov [rax + GPR(10)], r10
	mov [rax + GPR(11)], r11
	mov [rax + GPR(12)], r12
	mov [rax + GPR(13)], r13
	mov [rax + GPR(14)], r14
	mov [rax + GPR(15)], r15
	pop rcx
	mov [rax + GPR(0)], rcx
	mov rdi, rax
	call vmx_handle_exit             ; returns when the guest may continue
	mov rax, [rsp]
	LOAD_GUEST_GPRS
	vmresume
	mov rdi, [rsp]
	call vmx_entry_failed
.dead:	hlt
	jmp .dead

; int rdmsr_safe(uint32_t msr, uint64_t *val): 0, or -1 if RDMSR faulted.
rdmsr_safe:
	mov ecx, edi
.insn:	rdmsr
	shl rdx, 32
	mov eax, eax
	or rax, rdx
	mov [rsi], rax
	xor eax, eax
	ret
.fix:	mov eax, -1
	ret

; int wrmsr_safe(uint32_t msr, uint64_t val)
wrmsr_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
.insn:	wrmsr
	xor eax, eax
	ret
.fix:	mov eax, -1
	ret

section .fixup_table
	dq rdmsr_safe.insn, rdmsr_safe.fix
	dq wrmsr_safe.insn, wrmsr_safe.fix

section .text
; Host exception entry: one 16-byte stub per vector 0..31. Each pushes a
; dummy error code where the CPU pushes none, then the vector, saves the
; GPRs and calls hv_exception(frame). If that returns (fixup applied),
; we go back with IRETQ.
%macro EXC 1
	align 16
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
	push qword %1
%else
	push qword 0
	push qword %1
%endif
	jmp exception_common
%endmacro

align 16
exception_stubs:
%assign v 0
%rep 32
	EXC v
%assign v v + 1
%endrep

exception_common:
	EXCEPTION_COMMON hv_exception

; ---- Devirtualization, last steps (see devirt.c for the whole story) ----
; struct devirt_ctx offsets, kept in step with devirt.h by static asserts.
CTX_DEVIRT_CR3   equ 0
CTX_GUEST_CR3    equ 8
CTX_ALIAS_TAIL   equ 16
CTX_RFLAGS       equ 24
CTX_INVPCID      equ 32
CTX_INVPCID_DESC equ 40
CTX_GPR          equ 56
CTX_STACK_TOP    equ 4096

; void devirt_finish(uint64_t ctx_phys, uint64_t tramp_phys): never returns.
devirt_finish:
	mov rdx, rdi
	jmp rsi

; Position-independent; runs from its identity (physical) address, which
; both odv-hv's tables and the devirt tables map. rdx = ctx (identity).
devirt_tramp:
	mov rax, [rdx + CTX_DEVIRT_CR3]
	mov cr3, rax                     ; devirt tables: identity + alias of the tail
	cmp qword [rdx + CTX_INVPCID], 0
	je .no_invpcid
	mov eax, 1                       ; single-context: drop odv-hv's PCID-0 entries
	invpcid rax, [rdx + CTX_INVPCID_DESC]
.no_invpcid:
	lea rsp, [rdx + CTX_STACK_TOP]
	push qword [rdx + CTX_RFLAGS]    ; guest RFLAGS with IF clear
	popfq
	mov rax, [rdx + CTX_GPR + GPR(0)]
	mov rcx, [rdx + CTX_GPR + GPR(1)]
	mov rbx, [rdx + CTX_GPR + GPR(3)]
	mov rbp, [rdx + CTX_GPR + GPR(5)]
	mov rsi, [rdx + CTX_GPR + GPR(6)]
	mov rdi, [rdx + CTX_GPR + GPR(7)]
	mov r8,  [rdx + CTX_GPR + GPR(8)]
	mov r9,  [rdx + CTX_GPR + GPR(9)]
	mov r10, [rdx + CTX_GPR + GPR(10)]
	mov r11, [rdx + CTX_GPR + GPR(11)]
	mov r12, [rdx + CTX_GPR + GPR(12)]
	mov r13, [rdx + CTX_GPR + GPR(13)]
	mov r14, [rdx + CTX_GPR + GPR(14)]
	mov r15, [rdx + CTX_GPR + GPR(15)]
	mov rsp, [rdx + CTX_GPR + GPR(4)]
	jmp [rdx + CTX_ALIAS_TAIL]
devirt_tramp_end:

; Copied into the alias page so that it ends exactly at the guest's RIP:
; after MOV CR3 (serializing) the next fetch is the guest's own next
; instruction, through the guest's own page tables. The NOP becomes STI
; when the guest had IF=1: STI's one-instruction shadow keeps interrupts
; off until the guest's address space is in place.
devirt_tail:
	mov rdx, [rdx + CTX_GUEST_CR3]
	nop
	mov cr3, rdx
devirt_tail_end:
