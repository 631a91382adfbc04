// bench/ipvs/poll.c: waits until one IPVS service holds a number of destinations and prints the
// wall-clock time it saw that (seconds since the epoch, as bash's $EPOCHREALTIME), for
// bench/ipvs/vm.sh. One process polling the kernel every 2 ms over generic netlink: the bench
// used to start `ipvsadm` every 50 ms, which under emulation took 0.1 s per look and added that
// much, on average, to every daemon's time.
//
//   poll TCP_VIP:PORT COUNT TIMEOUT_S     (IPv4 only; exit 0 when seen, 1 on timeout)
//
// Built by vm.sh with the host's C compiler and libmnl.
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct mnl_socket* nl;
static unsigned seq;

static int family_cb(const struct nlattr* a, void* data) {
  if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
    *(int*)data = mnl_attr_get_u16(a);
  return MNL_CB_OK;
}

static int family_msg(const struct nlmsghdr* nlh, void* data) {
  mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_cb, data);
  return MNL_CB_OK;
}

static int count_msg(const struct nlmsghdr* nlh, void* data) {
  (void)nlh;
  ++*(int*)data;
  return MNL_CB_OK;
}

/// Sends the request in `buf` and runs `cb` on every answer; -1 on a kernel error.
static int talk(char* buf, mnl_cb_t cb, void* data) {
  struct nlmsghdr* nlh = (struct nlmsghdr*)buf;
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
    return -1;
  char rx[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    int n = (int)mnl_socket_recvfrom(nl, rx, sizeof rx);
    if (n <= 0)
      return -1;
    int r = mnl_cb_run(rx, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb, data);
    if (r <= MNL_CB_STOP)
      return r < 0 ? -1 : 0;
  }
}

static struct nlmsghdr* request(char* buf, int type, int cmd, int flags) {
  struct nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (unsigned short)type;
  nlh->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = ++seq;
  struct genlmsghdr* g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
  g->cmd = (unsigned char)cmd;
  g->version = 1;
  return nlh;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s VIP:PORT COUNT TIMEOUT_S\n", argv[0]);
    return 2;
  }
  char vip[64];
  snprintf(vip, sizeof vip, "%s", argv[1]);
  char* colon = strrchr(vip, ':');
  struct in_addr addr;
  if (!colon || (*colon = 0, inet_pton(AF_INET, vip, &addr) != 1)) {
    fprintf(stderr, "%s: not an IPv4 VIP:PORT\n", argv[1]);
    return 2;
  }
  const unsigned short port = htons((unsigned short)atoi(colon + 1));
  const int want = atoi(argv[2]);
  const double timeout = atof(argv[3]);
  nl = mnl_socket_open(NETLINK_GENERIC);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    perror("netlink");
    return 2;
  }
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr* nlh = request(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME);
  int family = 0;
  if (talk(buf, family_msg, &family) < 0 || family == 0) {
    fprintf(stderr, "no IPVS generic netlink family\n");
    return 2;
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    nlh = request(buf, family, IPVS_CMD_GET_DEST, NLM_F_DUMP);
    struct nlattr* svc = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
    mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, AF_INET);
    mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
    unsigned char a[16] = {0}; // (union nf_inet_addr)
    memcpy(a, &addr, sizeof addr);
    mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, sizeof a, a);
    mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, port);
    mnl_attr_nest_end(nlh, svc);
    int n = 0;
    if (talk(buf, count_msg, &n) == 0 && n >= want) { // (no such service yet: an error)
      struct timespec wall;
      clock_gettime(CLOCK_REALTIME, &wall);
      printf("%ld.%06ld\n", (long)wall.tv_sec, wall.tv_nsec / 1000);
      return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > timeout)
      return 1;
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
  }
}
