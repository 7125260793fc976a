#!/usr/bin/env python3
"""Writes a sparse raw disk for the conversion benchmark: a large virtual size with mixed content.

Layout, repeated in 256 MiB stripes until DATA_MIB of data is placed: incompressible random data,
text-like compressible data, explicitly written zeros (allocated but zero) and holes in between.
Usage: make-source.py PATH VIRTUAL_GIB DATA_MIB
"""
import os
import random
import sys

MIB = 1 << 20


def text_block(rng: random.Random, size: int) -> bytes:
    words = [b"kernel", b"module", b"lib", b"usr", b"share", b"config", b"0x7f3a", b"error", b"ok",
             b"systemd", b"service", b"disk", b"image", b"=", b"\n", b"/", b"  ", b"1024", b"true"]
    parts, length = [], 0
    while length < size:
        word = rng.choice(words)
        parts.append(word)
        length += len(word) + 1
    return b" ".join(parts)[:size]


def main() -> None:
    path, virtual_gib, data_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(20261123)
    size = virtual_gib << 30
    text = text_block(rng, 4 * MIB)
    placed, stripe = 0, 0
    with open(path, "wb") as disk:
        disk.truncate(size)
        while placed < data_mib * MIB:
            base = stripe * 256 * MIB
            if base + 256 * MIB > size:
                raise SystemExit("virtual size too small for the data")
            # 24 MiB random, 40 MiB text-like, 8 MiB explicit zeros; the rest of the stripe is a hole.
            disk.seek(base)
            disk.write(os.urandom(24 * MIB))
            disk.seek(base + 64 * MIB + 4096)
            for _ in range(10):
                disk.write(text)
            disk.seek(base + 160 * MIB)
            disk.write(bytes(8 * MIB))
            placed += 72 * MIB
            stripe += 1


if __name__ == "__main__":
    main()
