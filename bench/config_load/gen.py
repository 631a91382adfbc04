#!/usr/bin/env python3
"""Generates a large LVS configuration: N virtual servers with real servers spread over them.

Usage: gen.py [--vs 2300] [--rs 37000] > big.conf
The shape follows the largest configurations reported to keepalived (issue #2318: 2,284 VS,
37,298 RS): every real server has a TCP_CHECK, one in four an HTTP_GET with a URL.
"""
import argparse
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vs", type=int, default=2300)
    ap.add_argument("--rs", type=int, default=37000)
    a = ap.parse_args()
    out = sys.stdout
    out.write("global_defs {\n    router_id bench\n}\n\n")
    per_vs, extra = divmod(a.rs, a.vs)
    rs_index = 0
    for v in range(a.vs):
        vip = f"10.{100 + v // 65536 % 100}.{v // 256 % 256}.{v % 256}"
        out.write(f"virtual_server {vip} 80 {{\n"
                  "    delay_loop 10\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n\n")
        count = per_vs + (1 if v < extra else 0)
        for _ in range(count):
            rip = f"172.{16 + rs_index // 65536 % 16}.{rs_index // 256 % 256}.{rs_index % 256}"
            out.write(f"    real_server {rip} 80 {{\n        weight {1 + rs_index % 10}\n")
            if rs_index % 4 == 0:
                out.write("        HTTP_GET {\n            url {\n                path /health\n"
                          "                status_code 200\n            }\n"
                          "            connect_timeout 3\n            retry 2\n"
                          "            delay_before_retry 2\n        }\n")
            else:
                out.write("        TCP_CHECK {\n            connect_timeout 3\n        }\n")
            out.write("    }\n")
            rs_index += 1
        out.write("}\n\n")


if __name__ == "__main__":
    main()
