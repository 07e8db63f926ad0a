/*
 * fi_rma_bench: the native baseline of the efa transport's bench. RMA write or read bandwidth and
 * latency between two processes over one libfabric provider, with the efa transport's hints
 * (FI_EP_RDM, caps MSG|RMA|READ|WRITE|REMOTE_READ|REMOTE_WRITE, mode FI_CONTEXT, mr_mode
 * LOCAL|VIRT_ADDR|ALLOCATED|PROV_KEY, FI_THREAD_SAFE, delivery complete when offered, AV table,
 * one CQ). Debian 12 ships no fabtests, so this stands in for fi_rma_bw.
 *
 * Target:    fi_rma_bench -p 'tcp;ofi_rxm' -d lo -P 18515 -s BUFFER_BYTES
 * Initiator: fi_rma_bench -p 'tcp;ofi_rxm' -d lo -P 18515 -s BUFFER_BYTES -o write -k BLOCK -b BATCH -t SECONDS 127.0.0.1
 *
 * Addresses, buffer and key travel over a plain TCP connection (port -P). The initiator posts
 * BATCH operations of BLOCK bytes at distinct offsets (spread over the buffer as the engine bench
 * does), waits for all of them, and repeats for SECONDS; the target only makes progress. One line
 * of results: bytes per second, operations per second, and the batch latency p50/p99 in us.
 * Build: cc -O2 -o fi_rma_bench fi_rma_bench.c -lfabric
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#define CHECK(call)                                                                            \
    do {                                                                                       \
        int rc_ = (int) (call);                                                                \
        if (rc_) {                                                                             \
            fprintf(stderr, "fi_rma_bench: %s failed: %d %s\n", #call, rc_, fi_strerror(-rc_)); \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

struct peer_info {
    uint64_t addr_len;
    uint8_t addr[64];
    uint64_t buf;
    uint64_t key;
    uint64_t len;
};

static struct fi_info *info;
static struct fid_fabric *fabric;
static struct fid_domain *domain;
static struct fid_av *av;
static struct fid_cq *cq;
static struct fid_ep *ep;
static struct fid_mr *mr;
static char *buffer;
static size_t buffer_len;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void open_endpoint(const char *provider, const char *domain_name) {
    struct fi_info *hints = fi_allocinfo(), *all, *p;
    hints->caps = FI_MSG | FI_RMA | FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE;
    hints->mode = FI_CONTEXT;
    hints->ep_attr->type = FI_EP_RDM;
    hints->fabric_attr->prov_name = strdup(provider);
    hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
    hints->domain_attr->threading = FI_THREAD_SAFE;
    hints->tx_attr->op_flags = FI_DELIVERY_COMPLETE;
    int version = fi_version() < FI_VERSION(1, 18) ? (int) fi_version() : FI_VERSION(1, 18);
    int rc = fi_getinfo(version, NULL, NULL, 0, hints, &all);
    if (rc == -FI_ENODATA) {
        hints->tx_attr->op_flags = 0;
        rc = fi_getinfo(version, NULL, NULL, 0, hints, &all);
    }
    CHECK(rc);
    for (p = all; p; p = p->next) {
        if (!domain_name || !strcmp(domain_name, p->domain_attr->name)) {
            break;
        }
    }
    if (!p) {
        fprintf(stderr, "fi_rma_bench: provider %s has no domain %s\n", provider, domain_name);
        exit(1);
    }
    info = fi_dupinfo(p);
    fi_freeinfo(all);
    fi_freeinfo(hints);
    CHECK(fi_fabric(info->fabric_attr, &fabric, NULL));
    CHECK(fi_domain(fabric, info, &domain, NULL));
    struct fi_av_attr av_attr = {.type = FI_AV_TABLE, .count = 256};
    CHECK(fi_av_open(domain, &av_attr, &av, NULL));
    struct fi_cq_attr cq_attr = {.size = 4096, .format = FI_CQ_FORMAT_DATA, .wait_obj = FI_WAIT_NONE};
    CHECK(fi_cq_open(domain, &cq_attr, &cq, NULL));
    CHECK(fi_endpoint(domain, info, &ep, NULL));
    CHECK(fi_ep_bind(ep, &av->fid, 0));
    CHECK(fi_ep_bind(ep, &cq->fid, FI_TRANSMIT | FI_RECV));
    CHECK(fi_enable(ep));
    if (posix_memalign((void **) &buffer, 4096, buffer_len)) {
        fprintf(stderr, "fi_rma_bench: cannot allocate %zu bytes\n", buffer_len);
        exit(1);
    }
    memset(buffer, 1, buffer_len);
    CHECK(fi_mr_reg(domain, buffer, buffer_len, FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE, 0, 1, 0, &mr,
            NULL));
}

/* Polls once; returns completions seen, exits on a failed one. */
static int progress(void) {
    struct fi_cq_data_entry entries[64];
    ssize_t n = fi_cq_read(cq, entries, 64);
    if (n > 0) {
        return (int) n;
    }
    if (n == -FI_EAVAIL) {
        struct fi_cq_err_entry err = {0};
        fi_cq_readerr(cq, &err, 0);
        fprintf(stderr, "fi_rma_bench: operation failed: %s\n", fi_strerror(err.err));
        exit(1);
    }
    return 0;
}

static int tcp_socket(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

static void full(int fd, void *p, size_t n, int write_it) {
    char *c = p;
    while (n) {
        ssize_t k = write_it ? write(fd, c, n) : read(fd, c, n);
        if (k <= 0) {
            fprintf(stderr, "fi_rma_bench: out-of-band exchange failed\n");
            exit(1);
        }
        c += k;
        n -= (size_t) k;
    }
}

static void target(int port) {
    struct peer_info me = {0};
    size_t len = sizeof me.addr;
    CHECK(fi_getname(&ep->fid, me.addr, &len));
    me.addr_len = len;
    me.buf = (uint64_t) (uintptr_t) buffer;
    me.key = fi_mr_key(mr);
    me.len = buffer_len;
    int ls = tcp_socket();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(ls, (struct sockaddr *) &sa, sizeof sa) || listen(ls, 4)) {
        perror("fi_rma_bench: bind");
        exit(1);
    }
    printf("fi_rma_bench target: provider %s, domain %s, fabric %s, port %d\n", info->fabric_attr->prov_name,
            info->domain_attr->name, info->fabric_attr->name, port);
    fflush(stdout);
    for (;;) {
        int s = accept(ls, NULL, NULL);
        full(s, &me, sizeof me, 1);
        struct pollfd pfd = {.fd = s, .events = POLLIN};
        for (;;) {
            progress();
            if (poll(&pfd, 1, 0) > 0) {
                char c;
                if (read(s, &c, 1) <= 0) {
                    break; /* initiator done */
                }
            }
        }
        close(s);
    }
}

static void initiator(const char *host, int port, int write_op, size_t block, int batch, double seconds) {
    struct peer_info peer;
    int s = tcp_socket();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(s, (struct sockaddr *) &sa, sizeof sa)) {
        perror("fi_rma_bench: connect");
        exit(1);
    }
    full(s, &peer, sizeof peer, 0);
    fi_addr_t dest;
    if (fi_av_insert(av, peer.addr, 1, &dest, 0, NULL) != 1) {
        fprintf(stderr, "fi_rma_bench: fi_av_insert failed\n");
        exit(1);
    }
    int virt = (info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0;
    void *desc = fi_mr_desc(mr);
    struct fi_context *ctx = calloc((size_t) batch, sizeof *ctx);
    size_t slots = buffer_len / block < peer.len / block ? buffer_len / block : peer.len / block;
    if (slots == 0) {
        fprintf(stderr, "fi_rma_bench: block larger than the buffers\n");
        exit(1);
    }
    size_t cap = 1 << 20, nlat = 0;
    double *lat = malloc(cap * sizeof *lat);
    long ops = 0;
    size_t next = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        double t0 = now();
        int posted = 0, done = 0;
        while (done < batch) {
            if (posted < batch) {
                size_t off = (next % slots) * block;
                uint64_t remote = (virt ? peer.buf : 0) + off;
                ssize_t rc = write_op
                        ? fi_write(ep, buffer + off, block, desc, dest, remote, peer.key, &ctx[posted])
                        : fi_read(ep, buffer + off, block, desc, dest, remote, peer.key, &ctx[posted]);
                if (rc == 0) {
                    posted++;
                    next++;
                } else if (rc != -FI_EAGAIN) {
                    fprintf(stderr, "fi_rma_bench: post failed: %zd %s\n", rc, fi_strerror((int) -rc));
                    exit(1);
                }
            }
            done += progress();
        }
        ops += batch;
        if (nlat < cap) {
            lat[nlat++] = (now() - t0) * 1e6;
        }
    }
    double elapsed = now() - start;
    qsort(lat, nlat, sizeof *lat, cmp_double);
    printf("fi_rma_bench provider=%s domain=%s op=%s block=%zu batch=%d seconds=%.2f GB/s=%.3f req/s=%.0f "
           "batch_p50_us=%.1f batch_p99_us=%.1f\n",
            info->fabric_attr->prov_name, info->domain_attr->name, write_op ? "write" : "read", block, batch, elapsed,
            ops * (double) block / elapsed / 1e9, ops / elapsed, lat[nlat / 2], lat[(size_t) (nlat * 0.99)]);
    close(s);
}

int main(int argc, char **argv) {
    const char *provider = "tcp;ofi_rxm", *domain_name = NULL, *op = "write";
    int port = 18515, batch = 128, opt;
    size_t block = 1 << 20;
    double seconds = 5;
    buffer_len = (size_t) 1 << 28;
    while ((opt = getopt(argc, argv, "p:d:P:s:k:b:t:o:")) != -1) {
        switch (opt) {
            case 'p': provider = optarg; break;
            case 'd': domain_name = optarg; break;
            case 'P': port = atoi(optarg); break;
            case 's': buffer_len = strtoull(optarg, NULL, 0); break;
            case 'k': block = strtoull(optarg, NULL, 0); break;
            case 'b': batch = atoi(optarg); break;
            case 't': seconds = atof(optarg); break;
            case 'o': op = optarg; break;
            default:
                fprintf(stderr, "usage: %s [-p provider] [-d domain] [-P port] [-s buffer] [-k block] [-b batch] "
                                "[-t seconds] [-o write|read] [target-host]\n", argv[0]);
                return 2;
        }
    }
    open_endpoint(provider, domain_name);
    if (optind < argc) {
        initiator(argv[optind], port, strcmp(op, "read") != 0, block, batch, seconds);
    } else {
        target(port);
    }
    return 0;
}
