/*
 * Bonding (virtual devices): an active-backup bond over the physical NIC,
 * driven through the bonding driver's sysfs files (Documentation/networking/
 * bonding.rst), and the NIC's IPv4 addresses and routes moved onto it with
 * rtnetlink (RTM_GETADDR/DELADDR/NEWADDR, RTM_GETROUTE/NEWROUTE, RTM_NEWLINK
 * for up/down), written from <linux/rtnetlink.h>.
 *
 * Buffers are static and nothing here opens a file outside /sys: the switch
 * primitives run while the dm device is suspended (see replug.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include "devices.h"
#include "sysfacts.h"

/* ---- sysfs ---- */

int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(val);
	ssize_t k = write(fd, val, n);
	int err = k < 0 ? errno : 0;
	close(fd);
	if (err)
		return -err;
	return (size_t)k == n ? 0 : -EIO;
}

/* Read a sysfs attribute, trailing newline removed. 0 or -errno. */
int sysfs_read(const char *path, char *buf, size_t size)
{
	int n = read_file(path, buf, size);
	if (n < 0) {
		buf[0] = 0;
		return -errno;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static int bond_path(char *p, size_t n, const char *bond, const char *attr)
{
	return snprintf(p, n, "/sys/class/net/%s/bonding/%s", bond, attr);
}

static int bond_write(const char *bond, const char *attr, const char *val)
{
	char p[160];
	bond_path(p, sizeof(p), bond, attr);
	return sysfs_write(p, val);
}

int bond_read(const char *bond, const char *attr, char *buf, size_t size)
{
	char p[160];
	bond_path(p, sizeof(p), bond, attr);
	return sysfs_read(p, buf, size);
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* Is `word` one of the blank-separated words of `list`? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/*
 * Make `bond` an empty active-backup bond with miimon 100 (fail_over_mac left
 * at its default 0: the bond takes its first slave's MAC). A bond that exists
 * already (the driver makes bond0 when it loads, max_bonds=1) is used if it
 * has no slaves; *created says whether this call made it.
 */
int bond_create(const char *bond, bool *created, char *why, size_t wl)
{
	char p[160], buf[256];
	*created = false;
	if (access("/sys/class/net/bonding_masters", F_OK)) {
		snprintf(why, wl, "the bonding driver is not loaded (no /sys/class/net/bonding_masters; load it: modprobe bonding)");
		return -ENODEV;
	}
	snprintf(p, sizeof(p), "/sys/class/net/%s", bond);
	if (access(p, F_OK) == 0) {
		if (bond_read(bond, "mode", buf, sizeof(buf))) {
			snprintf(why, wl, "%s exists and is not a bond", bond);
			return -EEXIST;
		}
		bond_read(bond, "slaves", buf, sizeof(buf));
		if (buf[0]) {
			snprintf(why, wl, "%s is in use already (slaves: %s)", bond, buf);
			return -EBUSY;
		}
	} else {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "+%s", bond);
		int rc = sysfs_write("/sys/class/net/bonding_masters", cmd);
		if (rc) {
			snprintf(why, wl, "cannot create %s (bonding_masters): %s", bond, strerror(-rc));
			return rc;
		}
		*created = true;
	}
	/* The mode can only change while the bond is down and has no slaves. */
	int rc = link_set_up(bond, false);
	if (!rc)
		rc = bond_write(bond, "mode", "active-backup");
	if (rc) {
		snprintf(why, wl, "cannot set %s mode active-backup: %s", bond, strerror(-rc));
		goto undo;
	}
	rc = bond_write(bond, "miimon", "100");
	if (rc) {
		snprintf(why, wl, "cannot set %s miimon 100: %s", bond, strerror(-rc));
		goto undo;
	}
	return 0;
undo:
	if (*created)
		bond_destroy(bond);
	*created = false;
	return rc;
}

int bond_destroy(const char *bond)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "-%s", bond);
	return sysfs_write("/sys/class/net/bonding_masters", cmd);
}

/* Enslave ifname (taken down first; the bond opens it itself). 0 or -errno. */
int bond_enslave(const char *bond, const char *ifname)
{
	char cmd[64];
	link_set_up(ifname, false);
	snprintf(cmd, sizeof(cmd), "+%s", ifname);
	return bond_write(bond, "slaves", cmd);
}

int bond_release(const char *bond, const char *ifname)
{
	char cmd[64], slaves[256];
	if (bond_read(bond, "slaves", slaves, sizeof(slaves)) == 0 && !has_word(slaves, ifname))
		return 0;   /* gone already (e.g. its device was removed) */
	snprintf(cmd, sizeof(cmd), "-%s", ifname);
	return bond_write(bond, "slaves", cmd);
}

/* Make ifname (a slave) the active slave, waiting up to 10 s for its link (miimon). */
int bond_set_active(const char *bond, const char *ifname)
{
	char p[160], buf[64];
	snprintf(p, sizeof(p), "/sys/class/net/%s/bonding_slave/mii_status", ifname);
	for (int i = 0; i < 200; i++) {
		if (sysfs_read(p, buf, sizeof(buf)))
			return -ENODEV;   /* not a slave */
		if (!strcmp(buf, "up"))
			break;
		sleep_ms(50);
	}
	if (strcmp(buf, "up"))
		return -ENOLINK;
	int rc = 0;
	for (int i = 0; i < 40; i++) {
		bond_read(bond, "active_slave", buf, sizeof(buf));
		if (!strcmp(buf, ifname))
			return 0;
		/* The driver picks the first slave with link by itself; writing
		 * active_slave when there is none yet is refused, so ask, then look again. */
		if (buf[0])
			rc = bond_write(bond, "active_slave", ifname);
		sleep_ms(50);
	}
	return rc ? rc : -ETIMEDOUT;
}

int bond_active_slave(const char *bond, char *out, size_t n)
{
	return bond_read(bond, "active_slave", out, n);
}

/* ---- rtnetlink ---- */

static int nl_fd = -1;
static uint32_t nl_seq;
static union {
	struct nlmsghdr h;
	char raw[32768];
} nl_rx;
struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg a;
		struct rtmsg r;
		struct ifinfomsg i;
	};
	char attrs[512];
};

static int nl_open(void)
{
	if (nl_fd >= 0)
		return 0;
	nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl_fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (bind(nl_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;
		close(nl_fd);
		nl_fd = -1;
		return -err;
	}
	return 0;
}

static void nl_attr(struct nl_req *q, unsigned short type, const void *data, size_t len)
{
	struct nlmsghdr *h = &q->h;
	if (NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len) > sizeof(*q))
		return;   /* cannot happen: requests here are small */
	struct rtattr *a = (struct rtattr *)((char *)q + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static int nl_send(struct nlmsghdr *h)
{
	int rc = nl_open();
	if (rc)
		return rc;
	h->nlmsg_seq = ++nl_seq;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	if (sendto(nl_fd, h, h->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/*
 * Receive answers to the last request: each data message goes to cb (dumps),
 * until NLMSG_DONE or the NLMSG_ERROR acknowledgement. 0 or -errno.
 */
static int nl_recv(void (*cb)(struct nlmsghdr *, void *), void *arg)
{
	for (;;) {
		ssize_t n = recv(nl_fd, nl_rx.raw, sizeof(nl_rx.raw), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = &nl_rx.h; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != nl_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error;   /* 0: acknowledged */
			}
			if (cb)
				cb(h, arg);
		}
	}
}

static int nl_talk(struct nlmsghdr *h)
{
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	int rc = nl_send(h);
	return rc ? rc : nl_recv(NULL, NULL);
}

int link_set_up(const char *ifname, bool up)
{
	int idx = (int)if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	struct nl_req q;
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	q.h.nlmsg_type = RTM_NEWLINK;
	q.i.ifi_family = AF_UNSPEC;
	q.i.ifi_index = idx;
	q.i.ifi_flags = up ? IFF_UP : 0;
	q.i.ifi_change = IFF_UP;
	return nl_talk(&q.h);
}

struct collect { int ifindex; struct net_ip4 *s; int overflow; };

static void collect_addr(struct nlmsghdr *h, void *arg)
{
	struct collect *c = arg;
	if (h->nlmsg_type != RTM_NEWADDR)
		return;
	struct ifaddrmsg *m = NLMSG_DATA(h);
	if (m->ifa_family != AF_INET || (int)m->ifa_index != c->ifindex)
		return;
	if (c->s->naddr >= NET_MAX_ADDRS) {
		c->overflow = 1;
		return;
	}
	struct ip4_addr *a = &c->s->addr[c->s->naddr];
	memset(a, 0, sizeof(*a));
	a->prefixlen = m->ifa_prefixlen;
	a->flags = m->ifa_flags & ~IFA_F_SECONDARY;
	a->scope = m->ifa_scope;
	int len = (int)IFA_PAYLOAD(h);
	for (struct rtattr *r = IFA_RTA(m); RTA_OK(r, len); r = RTA_NEXT(r, len)) {
		if (r->rta_type == IFA_LOCAL && RTA_PAYLOAD(r) == 4) { memcpy(&a->local, RTA_DATA(r), 4); a->has_local = true; }
		if (r->rta_type == IFA_ADDRESS && RTA_PAYLOAD(r) == 4) memcpy(&a->address, RTA_DATA(r), 4);
		if (r->rta_type == IFA_BROADCAST && RTA_PAYLOAD(r) == 4) { memcpy(&a->broadcast, RTA_DATA(r), 4); a->has_brd = true; }
		if (r->rta_type == IFA_CACHEINFO && RTA_PAYLOAD(r) >= sizeof(struct ifa_cacheinfo)) {
			struct ifa_cacheinfo *ci = RTA_DATA(r);
			if (ci->ifa_valid != 0xffffffffu) {
				a->valid_lft = ci->ifa_valid;
				a->preferred_lft = ci->ifa_prefered;
				a->has_lft = true;
			}
		}
	}
	if (!a->has_local)
		a->local = a->address;
	c->s->naddr++;
}

static void collect_route(struct nlmsghdr *h, void *arg)
{
	struct collect *c = arg;
	if (h->nlmsg_type != RTM_NEWROUTE)
		return;
	struct rtmsg *m = NLMSG_DATA(h);
	/* Routes this system added through the NIC; the kernel's own (prefix
	 * routes of the addresses) come back by themselves with the addresses. */
	if (m->rtm_family != AF_INET || m->rtm_type != RTN_UNICAST || m->rtm_protocol == RTPROT_KERNEL)
		return;
	struct ip4_route rt;
	memset(&rt, 0, sizeof(rt));
	rt.dst_len = m->rtm_dst_len;
	rt.tos = m->rtm_tos;
	rt.protocol = m->rtm_protocol;
	rt.scope = m->rtm_scope;
	rt.flags = m->rtm_flags;
	rt.table = m->rtm_table;
	int oif = 0, len = (int)RTM_PAYLOAD(h);
	for (struct rtattr *r = RTM_RTA(m); RTA_OK(r, len); r = RTA_NEXT(r, len)) {
		if (r->rta_type == RTA_OIF) memcpy(&oif, RTA_DATA(r), 4);
		if (r->rta_type == RTA_DST) memcpy(&rt.dst, RTA_DATA(r), 4);
		if (r->rta_type == RTA_GATEWAY) { memcpy(&rt.gw, RTA_DATA(r), 4); rt.has_gw = true; }
		if (r->rta_type == RTA_PREFSRC) { memcpy(&rt.prefsrc, RTA_DATA(r), 4); rt.has_prefsrc = true; }
		if (r->rta_type == RTA_PRIORITY) { memcpy(&rt.priority, RTA_DATA(r), 4); rt.has_priority = true; }
		if (r->rta_type == RTA_TABLE) memcpy(&rt.table, RTA_DATA(r), 4);
	}
	if (oif != c->ifindex || rt.table == RT_TABLE_LOCAL)
		return;
	if (c->s->nroute >= NET_MAX_ROUTES) {
		c->overflow = 1;
		return;
	}
	c->s->route[c->s->nroute++] = rt;
}

/* The IPv4 addresses of ifname and the routes through it (not the kernel's own). */
int net_get_ipv4(const char *ifname, struct net_ip4 *s)
{
	memset(s, 0, sizeof(*s));
	struct collect c = { (int)if_nametoindex(ifname), s, 0 };
	if (!c.ifindex)
		return -ENODEV;
	struct nl_req q;
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	q.h.nlmsg_type = RTM_GETADDR;
	q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.a.ifa_family = AF_INET;
	int rc = nl_send(&q.h);
	if (!rc)
		rc = nl_recv(collect_addr, &c);
	if (rc)
		return rc;
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	q.h.nlmsg_type = RTM_GETROUTE;
	q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.r.rtm_family = AF_INET;
	rc = nl_send(&q.h);
	if (!rc)
		rc = nl_recv(collect_route, &c);
	if (rc)
		return rc;
	return c.overflow ? -E2BIG : 0;
}

static int addr_msg(int type, int ifindex, const struct ip4_addr *a)
{
	struct nl_req q;
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	q.h.nlmsg_type = (uint16_t)type;
	if (type == RTM_NEWADDR)
		q.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	q.a.ifa_family = AF_INET;
	q.a.ifa_prefixlen = a->prefixlen;
	q.a.ifa_flags = a->flags;
	q.a.ifa_scope = a->scope;
	q.a.ifa_index = (uint32_t)ifindex;
	nl_attr(&q, IFA_LOCAL, &a->local, 4);
	nl_attr(&q, IFA_ADDRESS, &a->address, 4);
	if (type == RTM_NEWADDR && a->has_brd)
		nl_attr(&q, IFA_BROADCAST, &a->broadcast, 4);
	if (type == RTM_NEWADDR && a->has_lft) {
		struct ifa_cacheinfo ci = { .ifa_prefered = a->preferred_lft, .ifa_valid = a->valid_lft };
		nl_attr(&q, IFA_CACHEINFO, &ci, sizeof(ci));
	}
	return nl_talk(&q.h);
}

static int route_add(int ifindex, const struct ip4_route *rt)
{
	struct nl_req q;
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	q.h.nlmsg_type = RTM_NEWROUTE;
	q.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	q.r.rtm_family = AF_INET;
	q.r.rtm_dst_len = rt->dst_len;
	q.r.rtm_tos = rt->tos;
	q.r.rtm_protocol = rt->protocol;
	q.r.rtm_scope = rt->scope;
	q.r.rtm_type = RTN_UNICAST;
	q.r.rtm_flags = rt->flags & RTNH_F_ONLINK;
	q.r.rtm_table = rt->table < 256 ? (uint8_t)rt->table : RT_TABLE_UNSPEC;
	uint32_t oif = (uint32_t)ifindex;
	if (rt->dst_len)
		nl_attr(&q, RTA_DST, &rt->dst, 4);
	if (rt->has_gw)
		nl_attr(&q, RTA_GATEWAY, &rt->gw, 4);
	if (rt->has_prefsrc)
		nl_attr(&q, RTA_PREFSRC, &rt->prefsrc, 4);
	if (rt->has_priority)
		nl_attr(&q, RTA_PRIORITY, &rt->priority, 4);
	nl_attr(&q, RTA_TABLE, &rt->table, 4);
	nl_attr(&q, RTA_OIF, &oif, 4);
	return nl_talk(&q.h);
}

/* Remove the addresses in s from ifname (the kernel drops the routes through them). */
int net_del_ipv4(const char *ifname, const struct net_ip4 *s)
{
	int idx = (int)if_nametoindex(ifname), first = 0;
	if (!idx)
		return -ENODEV;
	for (int i = 0; i < s->naddr; i++) {
		int rc = addr_msg(RTM_DELADDR, idx, &s->addr[i]);
		if (rc && rc != -EADDRNOTAVAIL && !first)
			first = rc;
	}
	return first;
}

/* Add the addresses in s to ifname, then the routes. 0 or the first -errno (it goes on). */
int net_add_ipv4(const char *ifname, const struct net_ip4 *s)
{
	int idx = (int)if_nametoindex(ifname), first = 0;
	if (!idx)
		return -ENODEV;
	for (int i = 0; i < s->naddr; i++) {
		int rc = addr_msg(RTM_NEWADDR, idx, &s->addr[i]);
		if (rc && rc != -EEXIST && !first)
			first = rc;
	}
	for (int i = 0; i < s->nroute; i++) {
		int rc = route_add(idx, &s->route[i]);
		if (rc && rc != -EEXIST && !first)
			first = rc;
	}
	return first;
}

void ip4_str(uint32_t be, char *out, size_t n)
{
	const uint8_t *b = (const uint8_t *)&be;
	snprintf(out, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}
