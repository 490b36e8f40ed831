/*
 * Minimal libuv TCP echo server: the floor for bench/run-echo.sh.
 *
 *   echo-server-uv PORT [HOST]      (HOST defaults to 127.0.0.1)
 *
 * Prints "listening on PORT" once bound (the real port, so PORT 0 works),
 * echoes every byte back on every connection, and exits 0 on SIGINT/SIGTERM
 * after closing every handle.
 *
 * Same shape as the Lua and Node servers: read -> write, no backpressure of
 * its own (the load generator bounds the bytes in flight). Reads land in one
 * static buffer (one thread, and libuv hands it to read_cb before the next
 * alloc); uv_try_write sends it at once, and only what the socket did not
 * take is copied into a uv_write request.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define READ_BUF_SIZE 65536

typedef struct {
  uv_write_t req;
  char data[]; /* the bytes uv_try_write did not send */
} write_req_t;

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_signal_t sigint_handle, sigterm_handle;
static char read_buf[READ_BUF_SIZE];
static int exit_code = 0;

static void on_close_free(uv_handle_t *handle) { free(handle); }

static void close_client(uv_stream_t *client) {
  if (!uv_is_closing((uv_handle_t *)client))
    uv_close((uv_handle_t *)client, on_close_free);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_write(uv_write_t *req, int status) {
  /* UV_ECANCELED: the client was closed with this write still queued. */
  if (status < 0 && status != UV_ECANCELED)
    close_client(req->handle);
  free(req);
}

static void on_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0) { /* UV_EOF or an error: either way, done with it */
    close_client(client);
    return;
  }
  if (nread == 0)
    return;
  size_t len = (size_t)nread, sent = 0;
  uv_buf_t out = uv_buf_init(buf->base, (unsigned int)len);
  int r = uv_try_write(client, &out, 1);
  if (r >= 0)
    sent = (size_t)r;
  else if (r != UV_EAGAIN) {
    close_client(client);
    return;
  }
  if (sent == len)
    return;
  size_t rest = len - sent;
  write_req_t *wr = malloc(sizeof *wr + rest);
  if (wr == NULL) {
    fprintf(stderr, "echo-server-uv: out of memory\n");
    close_client(client);
    return;
  }
  memcpy(wr->data, buf->base + sent, rest);
  out = uv_buf_init(wr->data, (unsigned int)rest);
  r = uv_write(&wr->req, client, &out, 1, on_write);
  if (r < 0) {
    free(wr);
    close_client(client);
  }
}

static void on_connection(uv_stream_t *srv, int status) {
  if (status < 0) {
    fprintf(stderr, "echo-server-uv: connection: %s\n", uv_strerror(status));
    return;
  }
  uv_tcp_t *client = malloc(sizeof *client);
  if (client == NULL) {
    fprintf(stderr, "echo-server-uv: out of memory\n");
    return;
  }
  int r = uv_tcp_init(loop, client);
  if (r < 0) {
    fprintf(stderr, "echo-server-uv: uv_tcp_init: %s\n", uv_strerror(r));
    free(client);
    return;
  }
  r = uv_accept(srv, (uv_stream_t *)client);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)client, on_alloc, on_read);
  if (r < 0) {
    fprintf(stderr, "echo-server-uv: accept/read: %s\n", uv_strerror(r));
    close_client((uv_stream_t *)client);
  }
}

static void close_walk_cb(uv_handle_t *handle, void *arg) {
  (void)arg;
  if (uv_is_closing(handle))
    return;
  if (handle == (uv_handle_t *)&server || handle == (uv_handle_t *)&sigint_handle ||
      handle == (uv_handle_t *)&sigterm_handle)
    uv_close(handle, NULL);
  else
    uv_close(handle, on_close_free); /* a client */
}

static void on_signal(uv_signal_t *handle, int signum) {
  (void)handle;
  (void)signum;
  uv_walk(loop, close_walk_cb, NULL);
}

static int fail(const char *what, int r) {
  fprintf(stderr, "echo-server-uv: %s: %s\n", what, uv_strerror(r));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
    return 2;
  }
  char *end;
  long port = strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
    fprintf(stderr, "echo-server-uv: bad port '%s'\n", argv[1]);
    return 2;
  }
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";

  loop = uv_default_loop();
  struct sockaddr_storage addr;
  int r = uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&addr);
  if (r < 0 && (r = uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&addr)) < 0)
    return fail("address", r);

  if ((r = uv_signal_init(loop, &sigint_handle)) < 0)
    return fail("uv_signal_init", r);
  if ((r = uv_signal_init(loop, &sigterm_handle)) < 0)
    return fail("uv_signal_init", r);
  if ((r = uv_signal_start(&sigint_handle, on_signal, SIGINT)) < 0)
    return fail("uv_signal_start", r);
  if ((r = uv_signal_start(&sigterm_handle, on_signal, SIGTERM)) < 0)
    return fail("uv_signal_start", r);
  if ((r = uv_tcp_init(loop, &server)) < 0)
    return fail("uv_tcp_init", r);

  if ((r = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0)) < 0 ||
      (r = uv_listen((uv_stream_t *)&server, 511, on_connection)) < 0) {
    fail("listen", r);
    exit_code = 1;
    uv_walk(loop, close_walk_cb, NULL);
  } else {
    struct sockaddr_storage bound;
    int len = sizeof bound;
    if ((r = uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len)) < 0) {
      fail("uv_tcp_getsockname", r);
      exit_code = 1;
      uv_walk(loop, close_walk_cb, NULL);
    } else {
      int p = bound.ss_family == AF_INET6
                  ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                  : ntohs(((struct sockaddr_in *)&bound)->sin_port);
      printf("listening on %d\n", p);
      fflush(stdout);
    }
  }

  if (uv_run(loop, UV_RUN_DEFAULT) != 0) { /* only if uv_stop() were called */
    fprintf(stderr, "echo-server-uv: loop stopped with live handles\n");
    return 1;
  }
  if ((r = uv_loop_close(loop)) < 0)
    return fail("uv_loop_close", r);
  return exit_code;
}
