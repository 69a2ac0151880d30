/*
 * The fastest ARP responder user space can host here, as a baseline for the
 * daemon bench: answers every ARP request on an interface with the
 * interface's MAC, nothing else. AF_PACKET, batched with recvmmsg/sendmmsg
 * (one system call per batch, which libpcap's pcap_sendpacket cannot do).
 *
 *   cc -O2 -o arp-floor arp-floor.c && ./arp-floor IFACE [spin]
 *
 * spin=1 polls with MSG_DONTWAIT instead of sleeping in the kernel.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64
#define ARP_FRAME 42

static unsigned char rx[BATCH][2048], tx[BATCH][ARP_FRAME];
static struct mmsghdr rxm[BATCH], txm[BATCH];
static struct iovec rxv[BATCH], txv[BATCH];

static int read_mac(const char *ifname, unsigned char mac[6]) {
  char path[128];
  unsigned m[6];
  snprintf(path, sizeof path, "/sys/class/net/%s/address", ifname);
  FILE *f = fopen(path, "r");
  if (f == NULL || fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) return -1;
  fclose(f);
  for (int i = 0; i < 6; i++) mac[i] = (unsigned char)m[i];
  return 0;
}

/* The reply to request q (RFC 826): swap the addresses, opcode 2, our MAC as sender. */
static void reply(unsigned char *r, const unsigned char *q, const unsigned char mac[6]) {
  static const unsigned char head[10] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2 };
  memcpy(r, q + 6, 6);       /* Ethernet destination: the requester */
  memcpy(r + 6, mac, 6);
  memcpy(r + 12, head, 10);
  memcpy(r + 22, mac, 6);    /* sender hardware: us */
  memcpy(r + 28, q + 38, 4); /* sender protocol: the address asked for */
  memcpy(r + 32, q + 22, 10); /* target: the requester's hardware and protocol address */
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: arp-floor IFACE [spin]\n"); return 2; }
  int spin = argc > 2 && atoi(argv[2]) != 0;
  unsigned char mac[6];
  if (read_mac(argv[1], mac) != 0) { fprintf(stderr, "arp-floor: no MAC for %s\n", argv[1]); return 1; }
  int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
  struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = (int)if_nametoindex(argv[1]) };
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("arp-floor"); return 1; }
  int rcvbuf = 1 << 24, one = 1;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  for (int i = 0; i < BATCH; i++) {
    rxv[i] = (struct iovec){ rx[i], sizeof rx[i] };
    rxm[i].msg_hdr = (struct msghdr){ .msg_iov = &rxv[i], .msg_iovlen = 1 };
    txv[i] = (struct iovec){ tx[i], ARP_FRAME };
    txm[i].msg_hdr = (struct msghdr){ .msg_iov = &txv[i], .msg_iovlen = 1 };
  }
  for (;;) {
    int n = recvmmsg(s, rxm, BATCH, spin ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
    int k = 0;
    for (int i = 0; i < n; i++) {
      const unsigned char *q = rx[i];
      if (rxm[i].msg_len >= ARP_FRAME && q[20] == 0 && q[21] == 1) reply(tx[k++], q, mac);
    }
    for (int sent = 0; sent < k;) {
      int w = sendmmsg(s, txm + sent, (unsigned)(k - sent), 0);
      if (w <= 0) break;
      sent += w;
    }
  }
}
