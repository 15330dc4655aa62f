#!/usr/bin/env python3
"""Draws Mercato's application icon (a shopping bag on a rounded teal square) as SVG and as
PNGs in the hicolor sizes, with no dependencies beyond the standard library.
Run from this folder: ./make-icons.py  (the outputs are committed)."""
import math
import struct
import zlib

SIZES = [16, 22, 24, 32, 48, 64, 128, 256]
TEAL = (0x0F, 0x76, 0x6E)
WHITE = (0xFF, 0xFF, 0xFF)
GOLD = (0xF5, 0xB7, 0x31)


def rounded_rect(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def shape(x, y):
    """The colour at (x, y) in a 1 x 1 square, or None where transparent."""
    if not rounded_rect(x, y, 0.03, 0.03, 0.97, 0.97, 0.2):
        return None
    # handle: a ring above the bag
    d = math.hypot(x - 0.5, y - 0.36)
    if y < 0.36 and 0.13 <= d <= 0.19:
        return WHITE
    # bag body
    if rounded_rect(x, y, 0.22, 0.33, 0.78, 0.82, 0.05):
        # a coin on the bag
        if math.hypot(x - 0.5, y - 0.58) <= 0.11:
            return GOLD
        return WHITE
    return TEAL


def png(size):
    ss = 4
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0]
            alpha = 0
            for sy in range(ss):
                for sx in range(ss):
                    c = shape((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)
                    if c is not None:
                        alpha += 1
                        for i in range(3):
                            acc[i] += c[i]
            if alpha:
                row += bytes([acc[0] // alpha, acc[1] // alpha, acc[2] // alpha, alpha * 255 // (ss * ss)])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <rect x="7.68" y="7.68" width="240.64" height="240.64" rx="51.2" fill="#0f766e"/>
  <path d="M 94.72 92.16 A 33.28 33.28 0 0 1 161.28 92.16" fill="none" stroke="#ffffff" stroke-width="15.36"/>
  <rect x="56.32" y="84.48" width="143.36" height="125.44" rx="12.8" fill="#ffffff"/>
  <circle cx="128" cy="148.48" r="28.16" fill="#f5b731"/>
</svg>
"""

if __name__ == "__main__":
    with open("mercato.svg", "w") as f:
        f.write(SVG)
    for s in SIZES:
        with open("mercato-%d.png" % s, "wb") as f:
            f.write(png(s))
