#!/usr/bin/env python3
"""A registry that misbehaves, for the imagec tests only.

    hostile-registry.py LAYOUT MODE

Serves the OCI image layout LAYOUT (tags: its ref.name annotations; the repository in the
path is ignored) on 127.0.0.1, prints the port it listens on, and logs each request on
stderr as "GET PATH [Range] [Authorization] [X-Injected]". MODE is how it misbehaves:

  endless-layer     a layer's body never ends (no length given)
  endless-config    the config's body never ends
  long-manifest     the manifest, padded with 5 MiB of spaces
  big-config        the manifest says its config is 5 MiB
  error-escape      no manifest, said with an escape sequence in the error message
  token-crlf        a bearer challenge; the token server's token holds CR LF and a header
  token-escape      the same, with an escape character in the token
  token-long        the token server answers 2 MiB
  challenge-escape  a bearer challenge with an escape character in its realm
  cut-no-range      a layer breaks off halfway, every other time; a Range is ignored
  cut-bad-range     a layer breaks off halfway, every other time; a Range is answered with
                    the whole layer, as if it were the part asked for
  none              none: a plain registry
"""
import http.server
import json
import os
import sys

LAYOUT, MODE = sys.argv[1], sys.argv[2]


def read_blob(digest):
    with open(os.path.join(LAYOUT, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


def tagged(tag):
    with open(os.path.join(LAYOUT, "index.json")) as f:
        index = json.load(f)
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return entry["digest"], entry["mediaType"]
    return None, None


class Registry(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = {}

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="application/octet-stream", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def endless(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b"\0" * 65536)
        except OSError:
            pass
        self.close_connection = True

    def cut(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self):
        path = self.path.split("?")[0]
        count = Registry.requests[path] = Registry.requests.get(path, 0) + 1
        sys.stderr.write("GET %s %s %s %s\n" % (self.path, self.headers.get("Range", "-"),
                                                 self.headers.get("Authorization", "-"),
                                                 self.headers.get("X-Injected", "-")))
        sys.stderr.flush()
        if path == "/token":
            return self.token()
        if MODE.startswith("token-") and not self.headers.get("Authorization"):
            realm = "http://127.0.0.1:%d/token" % self.server.server_address[1]
            return self.answer(401, headers=[("WWW-Authenticate",
                                              'Bearer realm="%s",service="hostile"' % realm)])
        if MODE == "challenge-escape":
            return self.answer(401, headers=[("WWW-Authenticate",
                                              'Bearer realm="http://127.0.0.1:1/\x1b[2J"')])
        parts = path.split("/")
        if len(parts) < 4 or parts[1] != "v2":
            return self.answer(404)
        kind, reference = parts[-2], parts[-1]
        if kind == "manifests":
            return self.manifest(reference)
        if kind == "blobs":
            return self.blob(reference, count)
        return self.answer(404)

    def token(self):
        if MODE == "token-crlf":
            return self.answer(200, b'{"token":"abc\\r\\nX-Injected: 1"}', "application/json")
        if MODE == "token-escape":
            return self.answer(200, b'{"token":"abc\\u001b[2J"}', "application/json")
        if MODE == "token-long":
            return self.answer(200, b'{"token":"' + b"a" * (2 << 20) + b'"}', "application/json")
        return self.answer(200, b'{"token":"abc"}', "application/json")

    def manifest(self, reference):
        if MODE == "error-escape":
            return self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN",'
                               b'"message":"no \\u001b[2J such manifest"}]}')
        if reference.startswith("sha256:"):
            digest = reference
            media_type = json.loads(read_blob(digest))["mediaType"]
        else:
            digest, media_type = tagged(reference)
            if not digest:
                return self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        body = read_blob(digest)
        if MODE == "big-config":
            manifest = json.loads(body)
            manifest["config"]["size"] = 5 << 20
            return self.answer(200, json.dumps(manifest).encode(), media_type)
        if MODE == "long-manifest":
            return self.answer(200, body + b" " * (5 << 20), media_type)
        return self.answer(200, body, media_type, [("Docker-Content-Digest", digest)])

    def blob(self, digest, count):
        try:
            body = read_blob(digest)
        except OSError:
            return self.answer(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        layer = body[:2] == b"\x1f\x8b"
        if (MODE == "endless-layer" and layer) or (MODE == "endless-config" and not layer):
            return self.endless()
        if MODE == "cut-no-range" and layer:
            if count % 2 == 1:
                return self.cut(body)
            return self.answer(200, body)
        if MODE == "cut-bad-range" and layer:
            if count % 2 == 1:
                return self.cut(body)
            return self.answer(206, body, headers=[
                ("Content-Range", "bytes 0-%d/%d" % (len(body) - 1, len(body)))])
        ranged = self.headers.get("Range")
        if ranged:
            start = int(ranged.split("=")[1].split("-")[0])
            return self.answer(206, body[start:], headers=[
                ("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))])
        return self.answer(200, body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
