/*
 * Echo load generator for bench/run-echo.sh: C99, libuv, one thread, one loop.
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
 *   loadgen lines [options]      a line protocol (bench/run-lines.sh): N
 *                                connections, each sends BATCH pipelined
 *                                requests "GET key<k>\n" in one write and
 *                                waits for the BATCH answer lines
 *                                "VALUE value-<k>-x...x\n" (k % 32 x's; keys
 *                                0..999) before sending the next batch;
 *                                reports requests per second.
 *   loadgen freeport [--host H]  prints a currently free TCP port and exits.
 *
 * Options:
 *   --host H        server address (127.0.0.1)
 *   --port P        server port (required for pingpong and stream)
 *   --conns N       pingpong and lines connections (100)
 *   --batch N       lines: requests per batch (16)
 *   --size B        pingpong message size in bytes (64)
 *   --chunk B       stream write size in bytes (65536)
 *   --inflight B    stream bound on bytes sent but not yet echoed (4194304)
 *   --duration S    measured seconds (5)
 *   --warmup S      seconds run before measuring, after all connected (1)
 *   --server NAME   label for the RESULT line (unknown)
 *
 * The measurement starts once every connection is up and the warm-up has
 * passed, and covers DURATION seconds of wall time (uv_hrtime). Every echoed
 * byte is compared with what was sent, so a server that drops, reorders or
 * invents bytes fails the run instead of scoring. One line goes to stdout:
 *
 *   RESULT mode=pingpong server=NAME conns=N size=B secs=S msgs=M msgs_per_s=R
 *   RESULT mode=stream server=NAME chunk=B inflight=B secs=S bytes=X mb_per_s=R
 *   RESULT mode=lines server=NAME conns=N batch=B secs=S msgs=M msgs_per_s=R
 *
 * Exit status: 0 on success, 1 on any error (connect, reset, EOF, mismatch,
 * timeout), 2 on bad usage. Every handle is closed before exit.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CONNECT_TIMEOUT_MS 10000
#define READ_BUF_SIZE 65536
#define LINES_KEYS 1000
#define LINES_MAX_BATCH 256
#define LINES_REQ_MAX 16  /* "GET key999\n" */
#define LINES_ANS_MAX 48  /* "VALUE value-999-" + 31 x's + "\n" */

enum mode { MODE_PINGPONG, MODE_STREAM, MODE_LINES };
enum phase { PHASE_CONNECTING, PHASE_WARMUP, PHASE_MEASURE, PHASE_DONE };

typedef struct conn {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req; /* pingpong: at most one write in flight */
  unsigned index;
  int open;             /* uv_tcp_init succeeded; must be closed */
  int connected;
  int writing;          /* pingpong: write_req in flight */
  int send_pending;     /* pingpong: next message waits for write_req */
  size_t got;           /* pingpong: bytes of the current echo received;
                         * lines: of the current batch's answers */
  size_t want;          /* lines: bytes of the current batch's answers */
  uint64_t seq;         /* pingpong: messages completed */
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
static double duration_s = 5.0, warmup_s = 1.0;
static const char *server_name = "unknown";

/* State */
static uv_loop_t *loop;
static uv_timer_t phase_timer;
static int timer_open = 0;
static struct sockaddr_storage server_addr;
static conn_t *conns;
static unsigned nconnected = 0;
static enum phase phase = PHASE_CONNECTING;
static int stopping = 0, exit_code = 0;
static uint64_t total_msgs = 0;                 /* pingpong */
static uint64_t bytes_sent = 0, bytes_recv = 0; /* stream: submitted, echoed */
static unsigned char *chunk;                    /* stream: what every write sends */
static unsigned char read_buf[READ_BUF_SIZE];
static uint64_t start_ns, start_count;

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

static void stop_all(void) {
  if (stopping)
    return;
  stopping = 1;
  phase = PHASE_DONE;
  if (timer_open && !uv_is_closing((uv_handle_t *)&phase_timer))
    uv_close((uv_handle_t *)&phase_timer, on_close_nop);
  for (unsigned i = 0; i < nconns; i++)
    if (conns[i].open && !uv_is_closing((uv_handle_t *)&conns[i].tcp))
      uv_close((uv_handle_t *)&conns[i].tcp, on_close_nop); /* cancels writes */
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
  if ((r = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &buf, 1, pp_on_write)) < 0) {
    fail("conn %u: uv_write: %s", c->index, uv_strerror(r));
    return;
  }
  c->writing = 1;
}

static void pp_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (stopping)
    return;
  if (nread < 0) {
    fail("conn %u: read: %s", c->index, nread == UV_EOF ? "server closed the connection"
                                                        : uv_strerror((int)nread));
    return;
  }
  size_t n = (size_t)nread;
  if (c->got + n > msg_size) {
    fail("conn %u: server echoed more bytes than were sent", c->index);
    return;
  }
  memcpy(c->recvbuf + c->got, buf->base, n);
  c->got += n;
  if (c->got < msg_size)
    return;
  if (memcmp(c->recvbuf, c->sendbuf, msg_size) != 0) {
    fail("conn %u: echoed bytes differ from those sent", c->index);
    return;
  }
  c->got = 0;
  c->seq++;
  total_msgs++;
  pp_send(c);
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

/* ---- phases ------------------------------------------------------------ */

static uint64_t counter(void) { return mode == MODE_STREAM ? bytes_recv : total_msgs; }

static void start_phase(uv_timer_cb cb, double secs) {
  int r = uv_timer_start(&phase_timer, cb, (uint64_t)(secs * 1000.0 + 0.5), 0);
  if (r < 0)
    fail("uv_timer_start: %s", uv_strerror(r));
}

static void on_measure_done(uv_timer_t *t) {
  (void)t;
  uint64_t end_ns = uv_hrtime();
  uint64_t count = counter() - start_count;
  double secs = (double)(end_ns - start_ns) / 1e9;
  if (count == 0) {
    fail("no echo received during the measurement");
    return;
  }
  if (mode == MODE_PINGPONG)
    printf("RESULT mode=pingpong server=%s conns=%u size=%zu secs=%.3f msgs=%" PRIu64
           " msgs_per_s=%.0f\n",
           server_name, nconns, msg_size, secs, count, (double)count / secs);
  else if (mode == MODE_LINES)
    printf("RESULT mode=lines server=%s conns=%u batch=%u secs=%.3f msgs=%" PRIu64
           " msgs_per_s=%.0f\n",
           server_name, nconns, batch, secs, count, (double)count / secs);
  else
    printf("RESULT mode=stream server=%s chunk=%zu inflight=%" PRIu64 " secs=%.3f bytes=%" PRIu64
           " mb_per_s=%.1f\n",
           server_name, chunk_size, max_inflight, secs, count, (double)count / secs / 1e6);
  fflush(stdout);
  stop_all();
}

static void on_warmup_done(uv_timer_t *t) {
  (void)t;
  phase = PHASE_MEASURE;
  start_ns = uv_hrtime();
  start_count = counter();
  start_phase(on_measure_done, duration_s);
}

static void on_connect_timeout(uv_timer_t *t) {
  (void)t;
  fail("only %u of %u connections established after %d s", nconnected, nconns,
       CONNECT_TIMEOUT_MS / 1000);
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
  int r = uv_tcp_nodelay(&c->tcp, 1);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc,
                      mode == MODE_PINGPONG ? pp_on_read
                      : mode == MODE_LINES  ? ln_on_read
                                            : st_on_read);
  if (r < 0) {
    fail("conn %u: %s", c->index, uv_strerror(r));
    return;
  }
  if (mode == MODE_PINGPONG)
    pp_send(c);
  else if (mode == MODE_LINES)
    ln_send(c);
  else
    st_pump(c);
  if (!stopping && ++nconnected == nconns) {
    phase = PHASE_WARMUP;
    if ((r = uv_timer_stop(&phase_timer)) < 0) {
      fail("uv_timer_stop: %s", uv_strerror(r));
      return;
    }
    start_phase(on_warmup_done, warmup_s);
  }
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
  fprintf(stderr, "usage: loadgen pingpong|stream|lines --port P [--host H] [--conns N]\n"
                  "               [--size B] [--batch N] [--chunk B] [--inflight B]\n"
                  "               [--duration S] [--warmup S]\n"
                  "               [--server NAME]\n"
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
  start_phase(on_connect_timeout, CONNECT_TIMEOUT_MS / 1000.0);
  for (unsigned i = 0; i < nconns && !stopping; i++) {
    conn_t *c = &conns[i];
    c->index = i;
    c->sendbuf = bufs + (size_t)i * 2 * msg_size;
    c->recvbuf = c->sendbuf + msg_size;
    if ((r = uv_tcp_init(loop, &c->tcp)) < 0) {
      fail("uv_tcp_init: %s", uv_strerror(r));
      break;
    }
    c->open = 1;
    c->tcp.data = c;
    c->connect_req.data = c;
    r = uv_tcp_connect(&c->connect_req, &c->tcp, (struct sockaddr *)&server_addr, on_connect);
    if (r < 0)
      fail("conn %u: uv_tcp_connect: %s", i, uv_strerror(r));
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
