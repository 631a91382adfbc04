#!/usr/bin/env python3
"""Checks vigil's layering rules (docs/architecture.md) by reading #include lines.

Rules:
  1. The domain libraries grammar/, vrrp/, check/, ipvs/ never include one another.
  2. Only daemon/, test/ and bench/ include daemon/.
  3. core/ includes nothing of the other folders.
  4. A pure part (a domain folder outside its io/ subfolder, and core/ outside core/io/) includes
     no Asio, spdlog, OpenSSL, libmnl, socket or netlink headers, and not its own io/.
     Exceptions, both computation without IO: libcrypto's digest and MAC headers
     (openssl/evp.h, openssl/hmac.h) in core/digest.cpp only, the one helper every pure part
     hashes through; and Boost.Beast's HTTP message and parser headers (boost/beast/http...),
     which parse and serialize bytes (Beast's streams, SSL and websocket parts stay forbidden).

Usage: layering_check.py ROOT          check the tree at ROOT
       layering_check.py --self-test   prove the checker catches each rule
"""
import os
import re
import sys
import tempfile

DOMAINS = ("grammar", "vrrp", "check", "ipvs")
TOP = ("core",) + DOMAINS + ("daemon",)
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
# Headers a pure part must not use: IO objects, logging, crypto, netlink, sockets.
FORBIDDEN_IN_PURE = (
    re.compile(r"^boost/asio"),
    re.compile(r"^spdlog/"),
    re.compile(r"^openssl/"),
    re.compile(r"^libmnl/"),
    re.compile(r"^sys/socket\.h$"),
    re.compile(r"^netinet/"),
    re.compile(r"^arpa/"),
    re.compile(r"^netdb\.h$"),
    re.compile(r"^linux/(netlink|rtnetlink|if_packet|if_arp|if_ether|ip_vs|genetlink)\.h$"),
    re.compile(r"^net/"),
    re.compile(r"^sys/epoll\.h$"),
    re.compile(r"^sys/inotify\.h$"),
    re.compile(r"^boost/beast/(ssl|websocket|core/tcp_stream|core/basic_stream|_experimental)"),
    re.compile(r"^boost/beast\.hpp$"),
)
# (file relative to the root, include) pairs allowed despite FORBIDDEN_IN_PURE.
ALLOWED_IN_PURE = {
    ("core/digest.cpp", "openssl/evp.h"),
    ("core/digest.cpp", "openssl/hmac.h"),
}


def violations(root):
    found = []
    for top in TOP:
        base = os.path.join(root, top)
        for dirpath, _, files in os.walk(base):
            for f in files:
                if not f.endswith((".hpp", ".cpp", ".h", ".cc")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                parts = rel.split(os.sep)
                folder = parts[0]
                is_io = len(parts) > 2 and parts[1] == "io"
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        inc = m.group(1)
                        where = f"{rel}:{n}: includes {inc}: "
                        target = inc.split("/")[0]
                        if folder in DOMAINS and target in DOMAINS and target != folder:
                            found.append(where + f"{folder}/ may not include {target}/")
                        if target == "daemon" and folder != "daemon":
                            found.append(where + "only daemon/, test/ and bench/ include daemon/")
                        if folder == "core" and target in DOMAINS + ("daemon",):
                            found.append(where + "core/ includes no other folder")
                        if folder in ("core",) + DOMAINS and not is_io:
                            if inc.startswith(folder + "/io/"):
                                found.append(where + "a pure part may not include its io/")
                            for pat in FORBIDDEN_IN_PURE:
                                if pat.search(inc) and (rel.replace(os.sep, "/"), inc) \
                                        not in ALLOWED_IN_PURE:
                                    found.append(where + "a pure part may not use IO headers "
                                                 "(move the code to io/)")
                                    break
    return found


def self_test():
    cases = {
        "vrrp/a.cpp": '#include "check/x.hpp"\n',                 # rule 1
        "ipvs/b.hpp": '#include "daemon/app.hpp"\n',              # rule 2
        "core/c.hpp": '#include "grammar/load.hpp"\n',            # rule 3
        "check/d.cpp": "#include <boost/asio/ip/tcp.hpp>\n",     # rule 4
        "vrrp/e.cpp": '#include "vrrp/io/socket.hpp"\n',          # rule 4 (own io)
        "grammar/f.cpp": "#include <spdlog/spdlog.h>\n",          # rule 4
        "core/g.cpp": "#include <sys/socket.h>\n",                # rule 4
        "vrrp/h.cpp": "#include <openssl/evp.h>\n",                # rule 4: only core/digest
        "core/i.cpp": "#include <openssl/hmac.h>\n",               # rule 4: only core/digest
        "check/j.cpp": "#include <boost/beast/core/tcp_stream.hpp>\n",  # rule 4
        "core/digest.cpp": "#include <openssl/evp.h>\n#include <openssl/ssl.h>\n",  # ssl.h
        "check/ok_http.cpp": "#include <boost/beast/http/parser.hpp>\n",  # allowed
        "core/io/ok.cpp": "#include <openssl/ssl.h>\n",                   # allowed
        "vrrp/io/ok.cpp": "#include <sys/socket.h>\n#include <boost/asio.hpp>\n",  # allowed
        "daemon/ok.cpp": '#include "vrrp/x.hpp"\n#include "daemon/y.hpp"\n',       # allowed
    }
    with tempfile.TemporaryDirectory() as d:
        for rel, text in cases.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as fh:
                fh.write(text)
        found = violations(d)
    bad_files = {v.split(":")[0] for v in found}
    expected = {k for k in cases if "ok" not in os.path.basename(k)}
    if bad_files != expected:
        print("self-test failed: flagged", sorted(bad_files), "expected", sorted(expected))
        return 1
    print(f"self-test ok: {len(found)} violations caught")
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found = violations(sys.argv[1])
    for v in found:
        print(v)
    if found:
        print(f"{len(found)} layering violation(s)")
        return 1
    print("layering ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
