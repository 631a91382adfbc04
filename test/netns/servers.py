"""Real servers for the checker tests, started inside a lab host with configs the test writes:
nginx (HTTP, HTTPS with a self-signed certificate, name-based virtual hosts), an SMTP server
(aiosmtpd), a DNS server (dnsmasq) and the small servers of fake_server.py. Each runs as a
lab process, so the lab stops it and attaches its log when a test fails."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from harness import Host, Proc, wait_for

HERE = Path(__file__).resolve().parent
INDEX = b"<html><body>vigil index page</body></html>\n"
ALPHA = b"<html><body>alpha virtual host</body></html>\n"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def self_signed(host: Host, workdir: Path, cn: str = "vigil.test") -> tuple[Path, Path]:
    key, cert = workdir / "key.pem", workdir / "cert.pem"
    if not cert.exists():
        host.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                 "-out", str(cert), "-days", "2", "-subj", f"/CN={cn}")
    return key, cert


def nginx_conf(root: Path, http: str, connections: int = 256) -> Path:
    """Writes ROOT/nginx.conf: nginx in the foreground, one process, everything under ROOT,
    with `http` as the body of its http block. Returns the file."""
    conf = root / "nginx.conf"
    conf.write_text(f"""
user root;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile {max(1024, 4 * connections)};
pid {root}/nginx.pid;
error_log stderr info;
events {{ worker_connections {connections}; }}
http {{
    client_body_temp_path {root}/tmp-body;
    proxy_temp_path {root}/tmp-proxy;
    fastcgi_temp_path {root}/tmp-fastcgi;
    uwsgi_temp_path {root}/tmp-uwsgi;
    scgi_temp_path {root}/tmp-scgi;
{http}
}}
""")
    return conf


def start_nginx(host: Host, workdir: Path, addr: str) -> Proc:
    """nginx on ADDR: port 80 (index), 443 (TLS, same pages), 8080 with virtual hosts
    a.example (ALPHA) and a default (INDEX). Access log: workdir/nginx/access.log."""
    root = workdir / "nginx"
    (root / "www").mkdir(parents=True, exist_ok=True)
    (root / "alpha").mkdir(exist_ok=True)
    (root / "www" / "index.html").write_bytes(INDEX)
    (root / "alpha" / "index.html").write_bytes(ALPHA)
    key, cert = self_signed(host, root)
    conf = nginx_conf(root, f"""
    access_log {root}/access.log;
    server {{
        listen {addr}:80;
        listen {addr}:443 ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {root}/www;
    }}
    server {{
        listen {addr}:8080 default_server;
        listen {addr}:8443 ssl default_server;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        server_name _;
        root {root}/www;
    }}
    server {{
        listen {addr}:8080;
        listen {addr}:8443 ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        server_name a.example;
        root {root}/alpha;
    }}
""")
    proc = host.start(["nginx", "-p", str(root), "-c", str(conf)], name="nginx")
    wait_for(lambda: _tcp_open(host, addr, 80) and _tcp_open(host, addr, 8443),
             what="nginx listening")
    return proc


def _tcp_open(host: Host, addr: str, port: int) -> bool:
    r = host.run(sys.executable, "-c",
                 f"import socket; socket.create_connection(('{addr}', {port}), 1).close()",
                 check=False)
    return r.returncode == 0


def start_fake(host: Host, mode: str, addr: str, port: int, arg: str | None = None) -> Proc:
    argv = [sys.executable, str(HERE / "fake_server.py"), mode, addr, str(port)]
    if arg:
        argv.append(arg)
    proc = host.start(argv, name=f"fake-{mode}-{port}")
    proc.wait_log(r"^ready")
    return proc


def start_smtp(host: Host, addr: str, port: int = 25) -> Proc:
    proc = host.start([sys.executable, "-m", "aiosmtpd", "-n", "-d", "-l", f"{addr}:{port}"],
                      name="aiosmtpd")
    wait_for(lambda: _tcp_open(host, addr, port), what="SMTP server listening")
    return proc


def start_dns(host: Host, addr: str, names: dict[str, str], port: int = 53) -> Proc:
    """dnsmasq answering A queries for `names` (name -> IPv4) on ADDR, nothing else."""
    argv = ["dnsmasq", "--keep-in-foreground", "--no-daemon", "--log-queries",
            "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
            f"--listen-address={addr}", "--bind-interfaces", f"--port={port}",
            "--user=root", "--pid-file="]
    argv += [f"--host-record={n},{ip}" for n, ip in names.items()]
    proc = host.start(argv, name="dnsmasq")
    proc.wait_log(r"started, version")
    return proc
