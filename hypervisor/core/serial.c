/* 16550 UART, polled. odv-hv's console; the guest later shares the same port. */
#include "serial.h"
#include "arch.h"

static uint16_t com;

void serial_init(uint16_t port)
{
	com = port;
	outb(port + 1, 0x00);    /* no interrupts: odv-hv polls */
	outb(port + 3, 0x80);    /* DLAB on */
	outb(port + 0, 0x01);    /* divisor 1 = 115200 baud */
	outb(port + 1, 0x00);
	outb(port + 3, 0x03);    /* 8N1, DLAB off */
	outb(port + 2, 0xc7);    /* FIFO on, cleared */
	outb(port + 4, 0x03);    /* DTR | RTS */
}

static void putc_raw(char c)
{
	/* Wait for THR empty (LSR bit 5); bounded so a missing UART cannot hang us. */
	for (unsigned i = 0; i < 100000 && !(inb(com + 5) & 0x20); i++)
		cpu_relax();
	outb(com, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	if (!com)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			putc_raw('\r');
		putc_raw(s[i]);
	}
}

/* Wait until the transmitter is empty (LSR bit 6), e.g. before someone else reprograms the UART. */
void serial_flush(void)
{
	if (!com)
		return;
	for (unsigned i = 0; i < 1000000 && !(inb(com + 5) & 0x40); i++)
		cpu_relax();
}
