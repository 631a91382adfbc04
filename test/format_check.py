#!/usr/bin/env python3
"""Fails when a C++ file of the project is not formatted with the repository's .clang-format.

Usage: format_check.py ROOT [CLANG_FORMAT]   (fix with: clang-format -i FILE...)
"""
import os
import subprocess
import sys

FOLDERS = ("core", "grammar", "vrrp", "check", "ipvs", "daemon", "test", "bench")


def main() -> int:
    root = sys.argv[1]
    tool = sys.argv[2] if len(sys.argv) > 2 else "clang-format"
    files = []
    for folder in FOLDERS:
        for dirpath, _, names in os.walk(os.path.join(root, folder)):
            files += [os.path.join(dirpath, n) for n in names if n.endswith((".cpp", ".hpp"))]
    files.sort()
    r = subprocess.run([tool, "--dry-run", "--Werror", *files], capture_output=True, text=True)
    if r.returncode != 0:
        bad = sorted({line.split(":")[0] for line in r.stderr.splitlines() if ": error:" in line})
        print("not formatted (run clang-format -i on them):")
        print("\n".join("  " + os.path.relpath(b, root) for b in bad))
        return 1
    print(f"{len(files)} files formatted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
