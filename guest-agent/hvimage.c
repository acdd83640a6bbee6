/*
 * odv-hv's flat image as the agent sees it: read it, find and check its
 * header (include/odv_hvimage.h), and say how much of the reservation it
 * takes together with the handoff block. Shared by `check` and `go-virtual`
 * so that both judge the same file the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "hv.h"

int hv_image_load(const char *path, struct hv_image *hv, char *why, size_t wl)
{
	*hv = (struct hv_image){ 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, wl, "cannot open odv-hv image %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	hv->size = (size_t)st.st_size;
	/* Room for the page the kexec segment rounds the file up to. */
	hv->data = calloc(1, hv->size + 4096);
	if (!hv->data) {
		/* a precondition of check and go-virtual: report it, nothing changed yet */
		snprintf(why, wl, "out of memory (%zu bytes for the odv-hv image %s)", hv->size + 4096, path);
		close(fd);
		return -1;
	}
	if (read(fd, hv->data, hv->size) != (ssize_t)hv->size) {
		snprintf(why, wl, "cannot read %s", path);
		close(fd);
		hv_image_free(hv);
		return -1;
	}
	close(fd);
	for (size_t off = 0; off + sizeof(hv->hdr) <= hv->size && off < 32768; off += 8) {
		memcpy(&hv->hdr, hv->data + off, sizeof(hv->hdr));
		if (hv->hdr.magic != ODV_HVIMAGE_MAGIC)
			continue;
		if (hv->hdr.version != ODV_HVIMAGE_VERSION || hv->hdr.load_size > hv->size + 4096 ||
		    hv->hdr.mem_size < hv->hdr.load_size || hv->hdr.kexec_entry >= hv->size) {
			snprintf(why, wl, "%s: odv-hv image header is not usable", path);
			hv_image_free(hv);
			return -1;
		}
		return 0;
	}
	snprintf(why, wl, "%s is not an odv-hv image (no header in its first 32 KiB)", path);
	hv_image_free(hv);
	return -1;
}

void hv_image_free(struct hv_image *hv)
{
	free(hv->data);
	hv->data = NULL;
}

uint64_t hv_image_region_need(const struct hv_image *hv)
{
	return hv->hdr.mem_size + ODV_HANDOFF_BYTES;
}
