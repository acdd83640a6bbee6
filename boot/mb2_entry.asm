; odv-hv entry from a multiboot2 loader (GRUB).
;
; GRUB enters in 32-bit protected mode, paging off, EAX = multiboot2 magic,
; EBX = physical address of the boot information. odv-hv is linked at a
; fixed high virtual address (HV_VIRT_BASE) and may be loaded at any 2 MiB
; aligned physical address (relocatable tag), so this stub is position
; independent: it finds its own load address, builds page tables that
; identity-map the low 4 GiB and map the image at HV_VIRT_BASE, enters
; long mode and calls hv_main(magic, mbi, load_base) at its linked address.
; Everything here stays in this one section so that label differences are
; link-time constants.

MB2_MAGIC      equ 0xE85250D6
PHYS_LINK      equ 0x200000        ; where the image is linked to load (GRUB relocates)
HV_VIRT_BASE   equ 0xFFFFFFFF80000000

extern _load_end_phys, _bss_end_phys, _hv_size_2m, _hv_load_size, _hv_mem_size, hv_main
global mb2_header

section .boot progbits alloc exec write align=4096
bits 32

mb2_header:
	dd MB2_MAGIC
	dd 0                                   ; i386 protected mode
	dd mb2_header_end - mb2_header
	dd 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
	align 8
	dw 2, 0                                ; address tag: load the file flat
	dd 24
	dd PHYS_LINK                           ; header_addr
	dd PHYS_LINK                           ; load_addr
	dd _load_end_phys
	dd _bss_end_phys
	align 8
	dw 3, 0                                ; entry address tag
	dd 12
	dd PHYS_LINK + (entry32 - mb2_header)
	align 8
	dw 10, 0                               ; relocatable tag
	dd 24
	dd 0x00200000                          ; min_addr
	dd 0xf0000000                          ; max_addr
	dd 0x00200000                          ; align: 2 MiB, so large pages map it
	dd 2                                   ; prefer high memory: low RAM stays for guests
	align 8
	dw 6, 0                                ; modules page aligned
	dd 8
	align 8
	dw 0, 0                                ; end
	dd 8
mb2_header_end:

; odv-hv image header (include/odv_hvimage.h): how the agent kexecs us.
	align 8
hvimage_header:
	dq 0x474d49564856444f
	dd 1
	dd kexec_entry64 - mb2_header
	dq _hv_load_size
	dq _hv_mem_size
	dq 0x00000100                          ; ODV_ABI_VERSION

entry32:
	cli
	cld
	mov edi, eax                           ; magic
	mov esi, ebx                           ; mbi
	call .here
.here:	pop ebp
	sub ebp, .here - mb2_header            ; ebp = physical load base
	lea esp, [ebp + (boot32_stack_top - mb2_header)]

	; Long mode is required: CPUID.80000001h:EDX[29].
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_lm
	mov eax, 0x80000001
	cpuid
	bt edx, 29
	jnc .no_lm

	; Zero the boot page tables (7 pages).
	push edi
	lea edi, [ebp + (boot_pml4 - mb2_header)]
	xor eax, eax
	mov ecx, 7 * 4096 / 4
	rep stosd
	pop edi

	; PML4[0] -> PDPT_low, PML4[511] -> PDPT_high
	lea eax, [ebp + (boot_pdpt_low - mb2_header) + 3]
	mov [ebp + (boot_pml4 - mb2_header)], eax
	lea eax, [ebp + (boot_pdpt_high - mb2_header) + 3]
	mov [ebp + (boot_pml4 - mb2_header) + 511 * 8], eax
	; PDPT_low[0..3] -> the four identity PDs
	xor ecx, ecx
.pdpt:	mov eax, ecx
	shl eax, 12
	lea eax, [ebp + eax + (boot_pd_low - mb2_header) + 3]
	mov [ebp + (boot_pdpt_low - mb2_header) + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	; 2048 x 2 MiB identity entries = 4 GiB (P | RW | PS)
	xor ecx, ecx
.pd:	mov eax, ecx
	shl eax, 21
	or eax, 0x83
	mov [ebp + (boot_pd_low - mb2_header) + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                            ; bits 32+ of the address
	mov [ebp + (boot_pd_low - mb2_header) + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .pd
	; PDPT_high[510] -> PD_high: HV_VIRT_BASE .. + image size -> load base
	lea eax, [ebp + (boot_pd_high - mb2_header) + 3]
	mov [ebp + (boot_pdpt_high - mb2_header) + 510 * 8], eax
	xor ecx, ecx
.pdh:	mov eax, ecx
	shl eax, 21
	add eax, ebp
	or eax, 0x83
	mov [ebp + (boot_pd_high - mb2_header) + ecx * 8], eax
	inc ecx
	cmp ecx, _hv_size_2m
	jb .pdh

	; PAE, CR3, EFER.LME, paging.
	mov eax, cr4
	or eax, 1 << 5
	mov cr4, eax
	lea eax, [ebp + (boot_pml4 - mb2_header)]
	mov cr3, eax
	mov ecx, 0xC0000080
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1      ; PG | WP | PE
	mov cr0, eax

	; GDT with a 64-bit code segment; its base is patched to our load address.
	lea eax, [ebp + (boot_gdt - mb2_header)]
	mov [ebp + (boot_gdtr - mb2_header) + 2], eax
	lgdt [ebp + (boot_gdtr - mb2_header)]
	lea eax, [ebp + (entry64_low - mb2_header)]
	push 0x08
	push eax
	retf

.no_lm:	; Say why on COM1 (8N1 at 115200), then stop.
	mov dx, 0x3fb
	mov al, 0x80
	out dx, al
	mov dx, 0x3f8
	mov al, 1
	out dx, al
	mov dx, 0x3f9
	xor al, al
	out dx, al
	mov dx, 0x3fb
	mov al, 3
	out dx, al
	lea esi, [ebp + (no_lm_msg - mb2_header)]
.puts:	lodsb
	test al, al
	jz .halt
	mov ah, al
	mov dx, 0x3fd
.wait:	in al, dx
	test al, 0x20
	jz .wait
	mov al, ah
	mov dx, 0x3f8
	out dx, al
	jmp .puts
.halt:	hlt
	jmp .halt

; ---- Entry from kexec (relocate_kernel): already in 64-bit mode, paging on
; kexec's identity tables, GDT/IDT not usable, interrupts off, GPRs 0.
; Build the same tables as the multiboot path and continue at entry64_low.
; Position independent; odv-hv must lie below 4 GiB (identity map range).
bits 64
kexec_entry64:
	cli
	cld
	lea rbp, [rel mb2_header]              ; load base: kexec maps VA == PA
	lea rsp, [rel boot32_stack_top]
	lea rdi, [rel boot_pml4]
	xor eax, eax
	mov ecx, 8 * 4096 / 8                  ; the 7 tables and the PML5
	rep stosq
	lea rax, [rel boot_pdpt_low]
	or rax, 3
	mov [rel boot_pml4], rax
	lea rax, [rel boot_pdpt_high]
	or rax, 3
	mov [rel boot_pml4 + 511 * 8], rax
	xor ecx, ecx
	lea rdx, [rel boot_pd_low]
	lea rdi, [rel boot_pdpt_low]
.k_pdpt: mov rax, rcx
	shl rax, 12
	add rax, rdx
	or rax, 3
	mov [rdi + rcx * 8], rax
	inc ecx
	cmp ecx, 4
	jb .k_pdpt
	xor ecx, ecx
.k_pd:	mov rax, rcx
	shl rax, 21
	or rax, 0x83
	mov [rdx + rcx * 8], rax
	inc ecx
	cmp ecx, 2048
	jb .k_pd
	lea rax, [rel boot_pd_high]
	or rax, 3
	mov [rel boot_pdpt_high + 510 * 8], rax
	lea rdx, [rel boot_pd_high]
	xor ecx, ecx
.k_pdh:	mov rax, rcx
	shl rax, 21
	add rax, rbp
	or rax, 0x83
	mov [rdx + rcx * 8], rax
	inc ecx
	cmp ecx, _hv_size_2m
	jb .k_pdh
	; The old kernel may run with 5-level paging (CR4.LA57), which cannot be
	; switched off in long mode: then put a PML5 on top whose first and last
	; entries both lead to our PML4 (identity low, odv-hv high).
	lea rax, [rel boot_pml4]
	mov rcx, cr4
	bt rcx, 12
	jnc .k_cr3
	or rax, 3
	mov [rel boot_pml5], rax
	mov [rel boot_pml5 + 511 * 8], rax
	lea rax, [rel boot_pml5]
.k_cr3:	mov cr3, rax
	lea rax, [rel boot_gdt]
	mov [rel boot_gdtr + 2], eax
	lgdt [rel boot_gdtr]
	lea rax, [rel entry64_low_kexec]
	push 0x08
	push rax
	retfq
entry64_low_kexec:
	mov edi, 0x4f44564b                    ; ODV_ENTRY_KEXEC_MAGIC
	xor esi, esi
	jmp entry64_common

entry64_low:
	; Registers' upper halves are undefined after the mode switch.
	mov edi, edi
	mov esi, esi
	mov ebp, ebp
entry64_common:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rdx, rbp
	mov rax, entry64_high
	jmp rax
no_lm_msg: db "odv-hv[error] fatal: CPU has no 64-bit long mode", 13, 10, 0

align 8
boot_gdt:
	dq 0
	dq 0x00AF9A000000FFFF                  ; 0x08: 64-bit code
	dq 0x00CF92000000FFFF                  ; 0x10: data
boot_gdt_end:
boot_gdtr:
	dw boot_gdt_end - boot_gdt - 1
	dq 0                                   ; 64-bit LGDT (kexec path) reads 8 bytes of base

align 16
boot32_stack:
	times 256 db 0
boot32_stack_top:

align 4096
boot_pml4:      times 4096 db 0
boot_pdpt_low:  times 4096 db 0
boot_pdpt_high: times 4096 db 0
boot_pd_high:   times 4096 db 0
boot_pd_low:    times 4 * 4096 db 0
boot_pml5:      times 4096 db 0

section .text
bits 64
entry64_high:
	mov rsp, hv_boot_stack_top
	xor ebp, ebp
	; hv_main(magic = rdi, mbi = rsi, load_base = rdx)
	call hv_main
.dead:	cli
	hlt
	jmp .dead

section .bss
align 16
hv_boot_stack:	resb 16384
hv_boot_stack_top:
