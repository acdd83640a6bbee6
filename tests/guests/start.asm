; Test-guest entry, page tables, exception stubs and the few instruction
; probes that need exact addresses (fixups). See include/odv_testguest.h.
bits 64
extern guest_start, guest_exception, __load_start, __image_end
global guest_entry, exception_stubs, tg_info, kstack_top
global run_user_vmcall, user_vmcall_insn, user_return
global rdmsr_probe, write_cr4_probe, devirt_call, vmxon_probe, ud2_probe, xsetbv_probe
%include "exception_frame.inc"

section .header
	dq 0x5453455456444f00          ; ODV_TG_MAGIC
	dq __load_start
	dq __image_end
	dq guest_entry
	dq pml4
	dq tg_info

section .text
guest_entry:                           ; RDI = struct odv_tg_info *
	lea rsp, [rel kstack_top]
	call guest_start
.halt:	cli
	hlt
	jmp .halt

; Exception entry: vector and error code on the stack, then GPRs; C may
; rewrite the frame (fixups, returning from user mode).
%macro EXC 1
	align 16
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17)
	push qword %1
%else
	push qword 0
	push qword %1
%endif
	jmp exc_common
%endmacro
align 16
exception_stubs:
%assign v 0
%rep 32
	EXC v
%assign v v + 1
%endrep
exc_common:
	EXCEPTION_COMMON guest_exception

; int rdmsr_probe(uint32_t msr, uint64_t *val): 0, or the vector it faulted with (negated)
rdmsr_probe:
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

; int write_cr4_probe(uint64_t v): 0, or -1 if MOV to CR4 faulted
write_cr4_probe:
.insn:	mov cr4, rdi
	xor eax, eax
	ret
.fix:	mov eax, -1
	ret

; int vmxon_probe(uint64_t *region_phys): 0 ok, 1 VMfailInvalid, 2 VMfailValid, -1 fault
vmxon_probe:
.insn:	vmxon [rdi]
	jc .invalid
	jz .valid
	vmxoff
	xor eax, eax
	ret
.invalid: mov eax, 1
	ret
.valid:	mov eax, 2
	ret
.fix:	mov eax, -1
	ret

; int xsetbv_probe(uint64_t xcr0): 0, or -1 if XSETBV faulted
xsetbv_probe:
	mov rax, rdi
	mov rdx, rdi
	shr rdx, 32
	xor ecx, ecx
.insn:	xsetbv
	xor eax, eax
	ret
.fix:	mov eax, -1
	ret

; int ud2_probe(void): -1 once the #UD has been taken and fixed up
ud2_probe:
.insn:	ud2
	xor eax, eax
	ret
.fix:	mov eax, -1
	ret

section .fixup_table
	dq ud2_probe.insn, ud2_probe.fix
	dq xsetbv_probe.insn, xsetbv_probe.fix
	dq rdmsr_probe.insn, rdmsr_probe.fix
	dq write_cr4_probe.insn, write_cr4_probe.fix
	dq vmxon_probe.insn, vmxon_probe.fix

section .text
; void devirt_call(uint64_t out[18]): ODV_HC_DEVIRT with known values in
; every register; stores what every register holds afterwards:
; out[0..15] = rax rcx rdx rbx rsp rbp rsi rdi r8..r15, out[16] = rsp before.
devirt_call:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi
	mov [rdi + 16 * 8], rsp
	mov rax, 1                     ; ODV_HC_DEVIRT
	mov rcx, 0x1111111111111111
	mov rdx, 0x2222222222222222
	mov rbx, 0x3333333333333333
	mov rbp, 0x5555555555555555
	mov rsi, 0x6666666666666666
	mov rdi, 0x7777777777777777
	mov r8,  0x8888888888888888
	mov r9,  0x9999999999999999
	mov r10, 0xaaaaaaaaaaaaaaaa
	mov r11, 0xbbbbbbbbbbbbbbbb
	mov r12, 0xcccccccccccccccc
	mov r13, 0xdddddddddddddddd
	mov r14, 0xeeeeeeeeeeeeeeee
	mov r15, 0xf0f0f0f0f0f0f0f0
	vmcall
	push rdi
	mov rdi, [rsp + 8]             ; out
	mov [rdi + 0 * 8], rax
	mov [rdi + 1 * 8], rcx
	mov [rdi + 2 * 8], rdx
	mov [rdi + 3 * 8], rbx
	lea rax, [rsp + 8]
	mov [rdi + 4 * 8], rax
	mov [rdi + 5 * 8], rbp
	mov [rdi + 6 * 8], rsi
	pop rax
	mov [rdi + 7 * 8], rax
	mov [rdi + 8 * 8], r8
	mov [rdi + 9 * 8], r9
	mov [rdi + 10 * 8], r10
	mov [rdi + 11 * 8], r11
	mov [rdi + 12 * 8], r12
	mov [rdi + 13 * 8], r13
	mov [rdi + 14 * 8], r14
	mov [rdi + 15 * 8], r15
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; void run_user_vmcall(void): drop to CPL 3, VMCALL(ODV_HC_DEVIRT) there.
; The #UD handler sends the CPU back to user_return at CPL 0.
run_user_vmcall:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov [rel saved_krsp], rsp
	push 0x23                      ; user SS
	lea rax, [rel ustack_top]
	push rax
	push 0x2                       ; RFLAGS, IF=0
	push 0x2b                      ; user CS
	lea rax, [rel user_code]
	push rax
	iretq
user_code:
	mov eax, 1                     ; ODV_HC_DEVIRT
	mov ebx, 0x5a5a
user_vmcall_insn:
	vmcall
	ud2                            ; reached only if VMCALL did not fault
user_return:
	mov rsp, [rel saved_krsp]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .data
align 4096
; Identity map of 0-4 GiB with 2 MiB pages, user-accessible (the CPL 3 test runs here).
pml4:	dq pdpt + 7
	times 511 dq 0
pdpt:	dq pd + 7, pd + 0x1007, pd + 0x2007, pd + 0x3007
	times 508 dq 0
pd:
%assign i 0
%rep 2048
	dq (i << 21) | 0x87
%assign i i + 1
%endrep

section .bss
alignb 4096
tg_info:	resb 4096
saved_krsp:	resq 1
alignb 16
		resb 16384
kstack_top:
		resb 8192
ustack_top:
