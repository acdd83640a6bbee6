; Start-up code of odv-hv's application processors (assembled flat, org AP_TRAMP).
;
; A CPU woken by INIT + SIPI with vector AP_TRAMP >> 12 starts here in real mode,
; CS = AP_TRAMP >> 4, IP = 0. It switches to protected mode with the little GDT
; below, loads the boot CPU's CR4/CR3/EFER/CR0 (so it shares odv-hv's page tables),
; far-jumps into 64-bit code and calls ap_entry(percpu) on its own stack at odv-hv's
; linked address. hypervisor/smp.c copies this blob to AP_TRAMP and fills the
; parameter block at its end (struct ap_params) before each start.

AP_TRAMP equ 0x8000
org AP_TRAMP
bits 16

start:
	cli
	cld
	xor ax, ax
	mov ds, ax
	lgdt [gdt_ptr]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword 0x08:pm32

bits 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, [p_cr4]                ; PAE (and LA57 if the boot CPU uses it), paging still off
	mov cr4, eax
	mov eax, [p_cr3]
	mov cr3, eax
	mov ecx, 0xC0000080             ; IA32_EFER: LME (+ NXE, SCE as on the boot CPU)
	mov eax, [p_efer]
	mov edx, [p_efer + 4]
	wrmsr
	mov eax, [p_cr0]                ; PG + PE + the boot CPU's other bits: long mode active
	mov cr0, eax
	jmp 0x18:lm64

bits 64
lm64:
	mov rsp, [p_stack]
	mov rdi, [p_percpu]
	mov rax, [p_entry]
	call rax                        ; never returns
.dead:	cli
	hlt
	jmp .dead

align 8
gdt:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
	dq 0x00CF92000000FFFF           ; 0x10: data
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dd gdt

; struct ap_params (hypervisor/smp.c): must stay last, in this order.
align 8
p_cr3:    dq 0
p_cr4:    dq 0
p_efer:   dq 0
p_cr0:    dq 0
p_stack:  dq 0
p_percpu: dq 0
p_entry:  dq 0
