/*
 * Load generator for bench/run-echo.sh (echo servers) and bench/run-lines.sh
 * (a line protocol): C99, libuv, one thread, one loop.
 *
 *   loadgen pingpong [options]   N connections, each sends one SIZE-byte
 *                                message and waits for all of it to come back
 *                                before sending the next; reports round trips
 *                                per second, summed over the connections.
 *   loadgen stream [options]     one connection writes CHUNK-byte chunks as
 *                                fast as the socket takes them, with at most
 *                                INFLIGHT bytes sent but not yet echoed, and
 *                                reads the echo; reports MB/s (10^6 bytes)
 *                                of echoed bytes received.
 *   loadgen connect [options]    N slots, each in a loop: connect, send one
 *                                SIZE-byte message, read the whole echo,
 *                                close, start again; reports completed
 *                                connections per second.
 *   loadgen lines [options]      a line protocol (bench/run-lines.sh): N
 *                                connections, each sends BATCH pipelined
 *                                requests "GET key<k>\n" in one write and
 *                                waits for the BATCH answer lines
 *                                "VALUE value-<k>-x...x\n" (k % 32 x's; keys
 *                                0..999) before sending the next batch;
 *                                reports requests per second.
 *   loadgen idle [options]       opens N connections that send nothing (at
 *                                most MAX-PENDING connects under way at a
 *                                time), prints a RESULT line once all are
 *                                up, and holds them until SIGTERM/SIGINT
 *                                (or HOLD seconds); fails if the server
 *                                closes one or sends anything.
 *   loadgen freeport [--host H]  prints a currently free TCP port and exits.
 *
 * Options:
 *   --host H        server address (127.0.0.1)
 *   --port P        server port (required but for freeport)
 *   --conns N       pingpong and lines connections, connect slots, idle
 *                   connections (100)
 *   --batch N       lines: requests per batch (16)
 *   --size B        pingpong and connect message size in bytes (64)
 *   --chunk B       stream write size in bytes (65536)
 *   --inflight B    stream bound on bytes sent but not yet echoed (4194304)
 *   --duration S    measured seconds (5)
 *   --warmup S      seconds run before measuring, after all connected (1;
 *                   connect mode: from the start)
 *   --total N       connect: stop after N connections, no measurement (a
 *                   warm-up for the server)
 *   --sources K     bind each connection to one of 127.0.0.1 .. 127.0.0.K
 *                   (1 = no bind): K times the ephemeral ports, for many
 *                   connections or a high connection rate; the server must
 *                   be on 127.0.0.0/8
 *   --max-pending P idle: connects under way at a time (100), so the
 *                   server's listen backlog does not overflow
 *   --hold S        idle: close everything after S seconds (0: on a signal)
 *   --server-pid P  read the server's CPU time (utime + stime from
 *                   /proc/P/stat) when the measurement starts and ends, and
 *                   report it as server_cpu_s
 *   --server NAME   label for the RESULT line (unknown)
 *
 * The measurement starts once every connection is up and the warm-up has
 * passed (connect mode: once the warm-up has passed), and covers DURATION
 * seconds of wall time (uv_hrtime). Every echoed byte is compared with what
 * was sent (lines: every answer byte with the expected answers), so a server
 * that drops, reorders or invents bytes fails the run instead of scoring. One line goes to stdout:
 *
 *   RESULT mode=pingpong server=NAME conns=N size=B secs=S msgs=M msgs_per_s=R [server_cpu_s=C]
 *   RESULT mode=stream server=NAME chunk=B inflight=B secs=S bytes=X mb_per_s=R [server_cpu_s=C]
 *   RESULT mode=connect server=NAME conns=N size=B secs=S done=X conns_per_s=R [server_cpu_s=C]
 *   RESULT mode=lines server=NAME conns=N batch=B secs=S msgs=M msgs_per_s=R [server_cpu_s=C]
 *   RESULT mode=idle server=NAME conns=N secs=S           (all N are up)
 *
 * Exit status: 0 on success, 1 on any error (connect, reset, EOF, mismatch,
 * timeout), 2 on bad usage. Every handle is closed before exit.
 */
#define _GNU_SOURCE /* IP_BIND_ADDRESS_NO_PORT */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24 /* Linux >= 4.2 */
#endif

#define CONNECT_TIMEOUT_MS 10000
#define READ_BUF_SIZE 65536
#define LINES_KEYS 1000
#define LINES_MAX_BATCH 256
#define LINES_REQ_MAX 16  /* "GET key999\n" */
#define LINES_ANS_MAX 48  /* "VALUE value-999-" + 31 x's + "\n" */

enum mode { MODE_PINGPONG, MODE_STREAM, MODE_CONNECT, MODE_IDLE, MODE_LINES };
enum phase { PHASE_CONNECTING, PHASE_WARMUP, PHASE_MEASURE, PHASE_HOLD, PHASE_DONE };

typedef struct conn {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req; /* pingpong, connect: at most one write in flight */
  unsigned index;
  int open;             /* uv_tcp_init succeeded; must be closed */
  int closing;          /* connect: closed after its echo, not yet reopened */
  int connected;
  int writing;          /* pingpong: write_req in flight */
  int send_pending;     /* pingpong: next message waits for write_req */
  size_t got;           /* bytes of the current echo received; lines: of
                         * the current batch's answers */
  size_t want;          /* lines: bytes of the current batch's answers */
  uint64_t seq;         /* pingpong: messages completed; connect: cycles;
                         * lines: batches completed */
  unsigned char *sendbuf, *recvbuf;
} conn_t;

typedef struct {
  uv_write_t req;
} stream_write_t;

/* Options */
static enum mode mode;
static const char *host = "127.0.0.1";
static int port = -1;
static unsigned nconns = 100;
static unsigned batch = 16;
static size_t msg_size = 64;
static size_t chunk_size = 65536;
static uint64_t max_inflight = 4u << 20;
static double duration_s = 5.0, warmup_s = 1.0, hold_s = 0.0;
static uint64_t total_limit = 0; /* connect: 0 = measure for duration_s */
static unsigned nsources = 1, max_pending = 100;
static long server_pid = 0;
static const char *server_name = "unknown";

/* State */
static uv_loop_t *loop;
static uv_timer_t phase_timer;
static uv_signal_t sigterm_handle, sigint_handle;
static int timer_open = 0, signals_open = 0;
static struct sockaddr_storage server_addr;
static conn_t *conns;
static unsigned nconnected = 0, nopened = 0; /* idle: connects started */
static enum phase phase = PHASE_CONNECTING;
static int stopping = 0, exit_code = 0;
static uint64_t total_msgs = 0;                 /* pingpong; lines: requests */
static uint64_t total_cycles = 0;               /* connect */
static uint64_t bytes_sent = 0, bytes_recv = 0; /* stream: submitted, echoed */
static unsigned char *chunk;                    /* stream: what every write sends */
static unsigned char read_buf[READ_BUF_SIZE];
static uint64_t start_ns, start_count;
static double start_cpu = -1;

static void stop_all(void);

static void fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "loadgen[%s]: ", server_name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit_code = 1;
  stop_all();
}

static void on_close_nop(uv_handle_t *handle) { (void)handle; }

static void on_conn_closed(uv_handle_t *handle) {
  conn_t *c = handle->data;
  c->open = 0;
}

static void stop_all(void) {
  if (stopping)
    return;
  stopping = 1;
  phase = PHASE_DONE;
  if (timer_open && !uv_is_closing((uv_handle_t *)&phase_timer))
    uv_close((uv_handle_t *)&phase_timer, on_close_nop);
  if (signals_open) {
    uv_close((uv_handle_t *)&sigterm_handle, on_close_nop);
    uv_close((uv_handle_t *)&sigint_handle, on_close_nop);
    signals_open = 0;
  }
  for (unsigned i = 0; i < nconns; i++)
    if (conns[i].open && !uv_is_closing((uv_handle_t *)&conns[i].tcp))
      uv_close((uv_handle_t *)&conns[i].tcp, on_conn_closed); /* cancels writes */
}

/* The server's CPU time in seconds (all threads), or -1 without a pid. */
static double server_cpu(void) {
  if (server_pid <= 0)
    return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", server_pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* the command name may hold spaces: fields count from its closing ')' */
  char *p = strrchr(buf, ')');
  if (p == NULL)
    return -1;
  unsigned long long utime = 0, stime = 0;
  /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime(14) stime(15) */
  if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
             &stime) != 2)
    return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The byte at stream offset k (pingpong: of message seq on connection i). */
static unsigned char pattern(uint64_t k, uint64_t salt) {
  return (unsigned char)((k % 251) ^ (salt * 0x9E3779B1u >> 7));
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)handle;
  (void)suggested;
  /* One thread: libuv passes this buffer to on_read before the next alloc. */
  *buf = uv_buf_init((char *)read_buf, sizeof read_buf);
}

static void on_connect(uv_connect_t *req, int status);

/* uv_tcp_init the connection and start connecting; with --sources, from
 * 127.0.0.(1 + k % sources), the port chosen by connect() (so a source
 * address does not use up a port per connection before it connects). */
static int conn_start(conn_t *c, unsigned k) {
  int r;
  c->got = 0;
  c->connected = c->writing = c->send_pending = c->closing = 0;
  if (nsources > 1) {
    struct sockaddr_in src;
    uv_os_fd_t fd;
    int one = 1;
    if ((r = uv_tcp_init_ex(loop, &c->tcp, AF_INET)) < 0)
      return r;
    c->open = 1;
    c->tcp.data = c;
    if ((r = uv_fileno((uv_handle_t *)&c->tcp, &fd)) < 0)
      return r;
    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
      return uv_translate_sys_error(errno);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.%u", 1 + k % nsources);
    if ((r = uv_ip4_addr(addr, 0, &src)) < 0 ||
        (r = uv_tcp_bind(&c->tcp, (struct sockaddr *)&src, 0)) < 0)
      return r;
  } else {
    if ((r = uv_tcp_init(loop, &c->tcp)) < 0)
      return r;
    c->open = 1;
    c->tcp.data = c;
  }
  c->connect_req.data = c;
  return uv_tcp_connect(&c->connect_req, &c->tcp, (struct sockaddr *)&server_addr, on_connect);
}

/* Send c->sendbuf (filled by the caller): uv_try_write, then uv_write for
 * what the socket did not take. */
static void send_message(conn_t *c, uv_write_cb cb) {
  uv_buf_t buf = uv_buf_init((char *)c->sendbuf, (unsigned)msg_size);
  int r = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
  if (r == (int)msg_size)
    return;
  if (r < 0 && r != UV_EAGAIN) {
    fail("conn %u: write: %s", c->index, uv_strerror(r));
    return;
  }
  size_t done = r > 0 ? (size_t)r : 0;
  buf = uv_buf_init((char *)c->sendbuf + done, (unsigned)(msg_size - done));
  c->write_req.data = c;
  if ((r = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &buf, 1, cb)) < 0) {
    fail("conn %u: uv_write: %s", c->index, uv_strerror(r));
    return;
  }
  c->writing = 1;
}

/* Add a read to the echo being collected; 1 once all msg_size bytes are
 * in and match what was sent, 0 while incomplete, -1 after a failure. */
static int collect_echo(conn_t *c, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0) {
    fail("conn %u: read: %s", c->index, nread == UV_EOF ? "server closed the connection"
                                                        : uv_strerror((int)nread));
    return -1;
  }
  size_t n = (size_t)nread;
  if (c->got + n > msg_size) {
    fail("conn %u: server echoed more bytes than were sent", c->index);
    return -1;
  }
  memcpy(c->recvbuf + c->got, buf->base, n);
  c->got += n;
  if (c->got < msg_size)
    return 0;
  if (memcmp(c->recvbuf, c->sendbuf, msg_size) != 0) {
    fail("conn %u: echoed bytes differ from those sent", c->index);
    return -1;
  }
  c->got = 0;
  return 1;
}

/* ---- pingpong ---------------------------------------------------------- */

static void pp_send(conn_t *c);

static void pp_on_write(uv_write_t *req, int status) {
  conn_t *c = req->data;
  c->writing = 0;
  if (stopping)
    return;
  if (status < 0) {
    fail("conn %u: write: %s", c->index, uv_strerror(status));
    return;
  }
  if (c->send_pending) {
    c->send_pending = 0;
    pp_send(c);
  }
}

static void pp_send(conn_t *c) {
  if (c->writing) { /* previous write not completed yet: send from its callback */
    c->send_pending = 1;
    return;
  }
  for (size_t k = 0; k < msg_size; k++)
    c->sendbuf[k] = pattern(k + c->seq, c->index);
  send_message(c, pp_on_write);
}

static void pp_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (stopping)
    return;
  if (collect_echo(c, nread, buf) != 1)
    return;
  c->seq++;
  total_msgs++;
  pp_send(c);
}

/* ---- connect ------------------------------------------------------------- */

static void cc_on_closed(uv_handle_t *handle) {
  conn_t *c = handle->data;
  c->open = 0;
  if (stopping)
    return;
  int r = conn_start(c, c->index + (unsigned)c->seq);
  if (r < 0)
    fail("conn %u: new connection: %s", c->index, uv_strerror(r));
}

static void cc_on_write(uv_write_t *req, int status) {
  conn_t *c = req->data;
  c->writing = 0;
  /* ECANCELED: closed after the echo came back, before this callback ran */
  if (stopping || c->closing)
    return;
  if (status < 0)
    fail("conn %u: write: %s", c->index, uv_strerror(status));
}

static void cc_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (stopping || c->closing)
    return;
  if (collect_echo(c, nread, buf) != 1)
    return;
  c->seq++;
  total_cycles++;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->tcp, cc_on_closed);
  if (total_limit > 0 && total_cycles >= total_limit) {
    printf("RESULT mode=connect server=%s conns=%u size=%zu done=%" PRIu64 "\n", server_name,
           nconns, msg_size, total_cycles);
    fflush(stdout);
    stop_all();
  }
}

/* ---- stream ------------------------------------------------------------ */

static void st_pump(conn_t *c);

static void st_on_write(uv_write_t *req, int status) {
  conn_t *c = req->data;
  free(req);
  if (stopping)
    return;
  if (status < 0) {
    fail("write: %s", uv_strerror(status));
    return;
  }
  st_pump(c);
}

static void st_pump(conn_t *c) {
  while (!stopping && bytes_sent - bytes_recv + chunk_size <= max_inflight) {
    stream_write_t *w = malloc(sizeof *w);
    if (w == NULL) {
      fail("out of memory");
      return;
    }
    w->req.data = c;
    uv_buf_t buf = uv_buf_init((char *)chunk, (unsigned)chunk_size);
    int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, st_on_write);
    if (r < 0) {
      free(w);
      fail("uv_write: %s", uv_strerror(r));
      return;
    }
    bytes_sent += chunk_size;
  }
}

static void st_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (stopping)
    return;
  if (nread < 0) {
    fail("read: %s", nread == UV_EOF ? "server closed the connection" : uv_strerror((int)nread));
    return;
  }
  size_t n = (size_t)nread;
  if (bytes_recv + n > bytes_sent) {
    fail("server echoed more bytes than were sent");
    return;
  }
  /* Every chunk is identical, so stream offset k holds chunk[k % chunk_size]. */
  size_t off = (size_t)(bytes_recv % chunk_size), i = 0;
  while (i < n) {
    size_t span = chunk_size - off < n - i ? chunk_size - off : n - i;
    if (memcmp(buf->base + i, chunk + off, span) != 0) {
      fail("echoed bytes differ from those sent (near offset %" PRIu64 ")", bytes_recv + i);
      return;
    }
    i += span;
    off = 0;
  }
  bytes_recv += n;
  st_pump(c);
}

/* ---- lines ------------------------------------------------------------- */

/* Each batch asks for BATCH keys (a different mix per connection and
 * batch) in one write; every answer byte is checked against the expected
 * answers, built at the same time in recvbuf. */
static void ln_send(conn_t *c) {
  size_t len = 0, want = 0;
  for (unsigned j = 0; j < batch; j++) {
    unsigned k = (unsigned)((c->seq * batch + j) * 7 + c->index * 13) % LINES_KEYS;
    len += (size_t)sprintf((char *)c->sendbuf + len, "GET key%u\n", k);
    want += (size_t)sprintf((char *)c->recvbuf + want, "VALUE value-%u-", k);
    memset(c->recvbuf + want, 'x', k % 32);
    want += k % 32;
    c->recvbuf[want++] = '\n';
  }
  c->got = 0;
  c->want = want;
  uv_buf_t buf = uv_buf_init((char *)c->sendbuf, (unsigned)len);
  int r = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
  if (r == (int)len)
    return;
  /* a ~200-byte write into an idle loopback socket: the kernel takes it */
  fail("conn %u: write: %s", c->index, r < 0 ? uv_strerror(r) : "short write");
}

static void ln_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (stopping)
    return;
  if (nread < 0) {
    fail("conn %u: read: %s", c->index, nread == UV_EOF ? "server closed the connection"
                                                        : uv_strerror((int)nread));
    return;
  }
  size_t n = (size_t)nread;
  if (c->got + n > c->want) {
    fail("conn %u: server sent more than the batch's answers", c->index);
    return;
  }
  if (memcmp(buf->base, c->recvbuf + c->got, n) != 0) {
    fail("conn %u: wrong answer (batch %" PRIu64 ", near byte %zu)", c->index, c->seq, c->got);
    return;
  }
  c->got += n;
  if (c->got < c->want)
    return;
  c->seq++;
  total_msgs += batch;
  ln_send(c);
}

/* ---- idle -------------------------------------------------------------- */

static void idle_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  (void)buf;
  if (stopping || nread == 0)
    return;
  if (nread > 0)
    fail("conn %u: the server sent %zd bytes on an idle connection", c->index, nread);
  else
    fail("conn %u: idle connection: %s", c->index,
         nread == UV_EOF ? "server closed it" : uv_strerror((int)nread));
}

static void idle_open_next(void) {
  while (!stopping && nopened < nconns && nopened - nconnected < max_pending) {
    conn_t *c = &conns[nopened];
    int r = conn_start(c, nopened);
    nopened++;
    if (r < 0) {
      fail("conn %u: connect: %s", c->index, uv_strerror(r));
      return;
    }
  }
}

static void on_hold_done(uv_timer_t *t) {
  (void)t;
  stop_all();
}

static void on_signal(uv_signal_t *handle, int signum) {
  (void)handle;
  (void)signum;
  stop_all(); /* exit 0: being told to let go is how idle mode ends */
}

/* ---- phases ------------------------------------------------------------ */

static uint64_t counter(void) {
  switch (mode) {
  case MODE_PINGPONG:
  case MODE_LINES:
    return total_msgs;
  case MODE_CONNECT:
    return total_cycles;
  default:
    return bytes_recv;
  }
}

static void start_phase(uv_timer_cb cb, double secs) {
  int r = uv_timer_start(&phase_timer, cb, (uint64_t)(secs * 1000.0 + 0.5), 0);
  if (r < 0)
    fail("uv_timer_start: %s", uv_strerror(r));
}

static void on_measure_done(uv_timer_t *t) {
  (void)t;
  uint64_t end_ns = uv_hrtime();
  double end_cpu = server_cpu();
  uint64_t count = counter() - start_count;
  double secs = (double)(end_ns - start_ns) / 1e9;
  char cpu[64] = "";
  if (count == 0) {
    fail("no echo received during the measurement");
    return;
  }
  if (start_cpu >= 0 && end_cpu >= 0)
    snprintf(cpu, sizeof cpu, " server_cpu_s=%.3f", end_cpu - start_cpu);
  if (mode == MODE_PINGPONG)
    printf("RESULT mode=pingpong server=%s conns=%u size=%zu secs=%.3f msgs=%" PRIu64
           " msgs_per_s=%.0f%s\n",
           server_name, nconns, msg_size, secs, count, (double)count / secs, cpu);
  else if (mode == MODE_LINES)
    printf("RESULT mode=lines server=%s conns=%u batch=%u secs=%.3f msgs=%" PRIu64
           " msgs_per_s=%.0f%s\n",
           server_name, nconns, batch, secs, count, (double)count / secs, cpu);
  else if (mode == MODE_CONNECT)
    printf("RESULT mode=connect server=%s conns=%u size=%zu secs=%.3f done=%" PRIu64
           " conns_per_s=%.0f%s\n",
           server_name, nconns, msg_size, secs, count, (double)count / secs, cpu);
  else
    printf("RESULT mode=stream server=%s chunk=%zu inflight=%" PRIu64 " secs=%.3f bytes=%" PRIu64
           " mb_per_s=%.1f%s\n",
           server_name, chunk_size, max_inflight, secs, count, (double)count / secs / 1e6, cpu);
  fflush(stdout);
  stop_all();
}

static void on_warmup_done(uv_timer_t *t) {
  (void)t;
  phase = PHASE_MEASURE;
  start_ns = uv_hrtime();
  start_count = counter();
  start_cpu = server_cpu();
  start_phase(on_measure_done, duration_s);
}

static unsigned connect_timeout_ms(void) {
  /* idle: thousands of connects, paced; allow 10 ms each beyond 10 s */
  return mode == MODE_IDLE ? CONNECT_TIMEOUT_MS + nconns * 10 : CONNECT_TIMEOUT_MS;
}

static void on_connect_timeout(uv_timer_t *t) {
  (void)t;
  fail("only %u of %u connections established after %u s", nconnected, nconns,
       connect_timeout_ms() / 1000);
}

static void on_connect(uv_connect_t *req, int status) {
  conn_t *c = req->data;
  if (stopping)
    return;
  if (status < 0) {
    fail("conn %u: connect to %s:%d: %s", c->index, host, port, uv_strerror(status));
    return;
  }
  c->connected = 1;
  uv_read_cb read_cb = mode == MODE_PINGPONG  ? pp_on_read
                       : mode == MODE_STREAM  ? st_on_read
                       : mode == MODE_CONNECT ? cc_on_read
                       : mode == MODE_LINES   ? ln_on_read
                                              : idle_on_read;
  int r = uv_tcp_nodelay(&c->tcp, 1);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, read_cb);
  if (r < 0) {
    fail("conn %u: %s", c->index, uv_strerror(r));
    return;
  }
  if (mode == MODE_CONNECT) {
    for (size_t k = 0; k < msg_size; k++)
      c->sendbuf[k] = pattern(k + c->seq, c->index);
    send_message(c, cc_on_write);
    return; /* connect mode's phases run on the clock alone */
  }
  if (mode == MODE_PINGPONG)
    pp_send(c);
  else if (mode == MODE_STREAM)
    st_pump(c);
  else if (mode == MODE_LINES)
    ln_send(c);
  if (stopping || ++nconnected < nconns) {
    if (mode == MODE_IDLE)
      idle_open_next();
    return;
  }
  if ((r = uv_timer_stop(&phase_timer)) < 0) {
    fail("uv_timer_stop: %s", uv_strerror(r));
    return;
  }
  if (mode == MODE_IDLE) {
    phase = PHASE_HOLD;
    printf("RESULT mode=idle server=%s conns=%u secs=%.3f\n", server_name, nconns,
           (double)(uv_hrtime() - start_ns) / 1e9);
    fflush(stdout);
    if (hold_s > 0)
      start_phase(on_hold_done, hold_s);
    return;
  }
  phase = PHASE_WARMUP;
  start_phase(on_warmup_done, warmup_s);
}

/* ---- setup ------------------------------------------------------------- */

static int resolve(const char *h, int p, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (uv_ip4_addr(h, p, (struct sockaddr_in *)out) == 0)
    return 0;
  return uv_ip6_addr(h, p, (struct sockaddr_in6 *)out);
}

static int freeport(void) {
  struct sockaddr_storage addr;
  uv_tcp_t tcp;
  int r = resolve(host, 0, &addr), p = -1;
  if (r < 0) {
    fprintf(stderr, "loadgen: bad host '%s': %s\n", host, uv_strerror(r));
    return 1;
  }
  if ((r = uv_tcp_init(loop, &tcp)) < 0) {
    fprintf(stderr, "loadgen: uv_tcp_init: %s\n", uv_strerror(r));
    return 1;
  }
  struct sockaddr_storage bound;
  int len = sizeof bound;
  if ((r = uv_tcp_bind(&tcp, (struct sockaddr *)&addr, 0)) == 0 &&
      (r = uv_tcp_getsockname(&tcp, (struct sockaddr *)&bound, &len)) == 0)
    p = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                    : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  else
    fprintf(stderr, "loadgen: bind: %s\n", uv_strerror(r));
  uv_close((uv_handle_t *)&tcp, on_close_nop);
  if (uv_run(loop, UV_RUN_DEFAULT) != 0 || (r = uv_loop_close(loop)) < 0) {
    fprintf(stderr, "loadgen: loop did not shut down cleanly\n");
    return 1;
  }
  if (p < 0)
    return 1;
  printf("%d\n", p);
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: loadgen pingpong|stream|connect|idle|lines --port P [--host H]\n"
                  "               [--conns N] [--size B] [--batch N] [--chunk B]\n"
                  "               [--inflight B] [--duration S] [--warmup S] [--total N]\n"
                  "               [--sources K] [--max-pending P] [--hold S]\n"
                  "               [--server-pid PID] [--server NAME]\n"
                  "       loadgen freeport [--host H]\n");
  exit(2);
}

static double parse_num(const char *opt, const char *s, double min, double max) {
  char *end;
  double v = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !(v >= min && v <= max)) {
    fprintf(stderr, "loadgen: bad value for %s: '%s'\n", opt, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2)
    usage();
  int is_freeport = 0;
  if (strcmp(argv[1], "pingpong") == 0)
    mode = MODE_PINGPONG;
  else if (strcmp(argv[1], "stream") == 0)
    mode = MODE_STREAM;
  else if (strcmp(argv[1], "connect") == 0)
    mode = MODE_CONNECT;
  else if (strcmp(argv[1], "idle") == 0)
    mode = MODE_IDLE;
  else if (strcmp(argv[1], "lines") == 0)
    mode = MODE_LINES;
  else if (strcmp(argv[1], "freeport") == 0)
    is_freeport = 1;
  else
    usage();
  for (int i = 2; i < argc; i += 2) {
    const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (val == NULL)
      usage();
    if (strcmp(opt, "--host") == 0)
      host = val;
    else if (strcmp(opt, "--port") == 0)
      port = (int)parse_num(opt, val, 1, 65535);
    else if (strcmp(opt, "--conns") == 0)
      nconns = (unsigned)parse_num(opt, val, 1, 100000);
    else if (strcmp(opt, "--batch") == 0)
      batch = (unsigned)parse_num(opt, val, 1, LINES_MAX_BATCH);
    else if (strcmp(opt, "--size") == 0)
      msg_size = (size_t)parse_num(opt, val, 1, 1 << 20);
    else if (strcmp(opt, "--chunk") == 0)
      chunk_size = (size_t)parse_num(opt, val, 1, 1 << 26);
    else if (strcmp(opt, "--inflight") == 0)
      max_inflight = (uint64_t)parse_num(opt, val, 1, 1u << 30);
    else if (strcmp(opt, "--duration") == 0)
      duration_s = parse_num(opt, val, 0.001, 86400);
    else if (strcmp(opt, "--warmup") == 0)
      warmup_s = parse_num(opt, val, 0, 86400);
    else if (strcmp(opt, "--total") == 0)
      total_limit = (uint64_t)parse_num(opt, val, 1, 1e12);
    else if (strcmp(opt, "--sources") == 0)
      nsources = (unsigned)parse_num(opt, val, 1, 254);
    else if (strcmp(opt, "--max-pending") == 0)
      max_pending = (unsigned)parse_num(opt, val, 1, 100000);
    else if (strcmp(opt, "--hold") == 0)
      hold_s = parse_num(opt, val, 0, 86400);
    else if (strcmp(opt, "--server-pid") == 0)
      server_pid = (long)parse_num(opt, val, 1, 4194304);
    else if (strcmp(opt, "--server") == 0)
      server_name = val;
    else
      usage();
  }

  loop = uv_default_loop();
  if (is_freeport)
    return freeport();
  if (port < 0)
    usage();
  if (mode == MODE_STREAM) {
    nconns = 1;
    if (max_inflight < chunk_size)
      max_inflight = chunk_size;
  }

  int r = resolve(host, port, &server_addr);
  if (r < 0) {
    fprintf(stderr, "loadgen: bad host '%s': %s\n", host, uv_strerror(r));
    return 2;
  }
  if (nsources > 1 && (server_addr.ss_family != AF_INET ||
                       (ntohl(((struct sockaddr_in *)&server_addr)->sin_addr.s_addr) >> 24) != 127)) {
    fprintf(stderr, "loadgen: --sources needs a server on 127.0.0.0/8\n");
    return 2;
  }
  if (mode == MODE_LINES)
    /* one batch of requests, and its answers; sprintf writes a NUL past
     * the last one */
    msg_size = (size_t)batch * LINES_ANS_MAX + 1;
  conns = calloc(nconns, sizeof *conns);
  unsigned char *bufs = calloc(nconns, 2 * msg_size);
  chunk = malloc(chunk_size);
  if (conns == NULL || bufs == NULL || chunk == NULL) {
    fprintf(stderr, "loadgen: out of memory\n");
    return 1;
  }
  for (size_t k = 0; k < chunk_size; k++)
    chunk[k] = pattern(k, 0x5eed);

  if ((r = uv_timer_init(loop, &phase_timer)) < 0) {
    fprintf(stderr, "loadgen: uv_timer_init: %s\n", uv_strerror(r));
    return 1;
  }
  timer_open = 1;
  if (mode == MODE_IDLE) {
    if ((r = uv_signal_init(loop, &sigterm_handle)) < 0 ||
        (r = uv_signal_init(loop, &sigint_handle)) < 0) {
      fprintf(stderr, "loadgen: uv_signal_init: %s\n", uv_strerror(r));
      return 1;
    }
    signals_open = 1;
    if ((r = uv_signal_start(&sigterm_handle, on_signal, SIGTERM)) < 0 ||
        (r = uv_signal_start(&sigint_handle, on_signal, SIGINT)) < 0)
      fail("uv_signal_start: %s", uv_strerror(r));
  }
  start_ns = uv_hrtime();
  if (mode == MODE_CONNECT) {
    if (total_limit == 0) {
      phase = PHASE_WARMUP;
      start_phase(on_warmup_done, warmup_s);
    } else {
      start_phase(on_connect_timeout, CONNECT_TIMEOUT_MS / 1000.0 + (double)total_limit / 100);
    }
  } else {
    start_phase(on_connect_timeout, connect_timeout_ms() / 1000.0);
  }
  for (unsigned i = 0; i < nconns; i++) {
    conn_t *c = &conns[i];
    c->index = i;
    c->sendbuf = bufs + (size_t)i * 2 * msg_size;
    c->recvbuf = c->sendbuf + msg_size;
  }
  if (mode == MODE_IDLE) {
    idle_open_next();
  } else {
    for (unsigned i = 0; i < nconns && !stopping; i++) {
      r = conn_start(&conns[i], i);
      nopened++;
      if (r < 0)
        fail("conn %u: connect: %s", i, uv_strerror(r));
    }
  }

  if (uv_run(loop, UV_RUN_DEFAULT) != 0) {
    fprintf(stderr, "loadgen: loop stopped with live handles\n");
    exit_code = 1;
  } else if ((r = uv_loop_close(loop)) < 0) {
    fprintf(stderr, "loadgen: uv_loop_close: %s\n", uv_strerror(r));
    exit_code = 1;
  }
  free(conns);
  free(bufs);
  free(chunk);
  return exit_code;
}
