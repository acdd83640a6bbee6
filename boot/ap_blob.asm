; The AP start-up blob (boot/ap_trampoline.asm, assembled flat) inside odv-hv's image.
section .rodata
global ap_tramp_blob, ap_tramp_blob_end
align 16
ap_tramp_blob:
	incbin AP_TRAMP_BIN
ap_tramp_blob_end:
