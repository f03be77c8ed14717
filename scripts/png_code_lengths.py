"""Derive the static Huffman code of pixelprep's PNG encoder from sample images.

    python3 scripts/png_code_lengths.py ARCHIVE.zip --made-from "HOW ARCHIVE WAS MADE" \
        [--limit N] > src/encode_code.rs

ARCHIVE is a zip of 8-bit grayscale PNGs (any filter, any zlib stream), such as a
`pixelprep convert` output. Standard library only.

The encoder (src/encode.rs) codes PNG scanlines (filter byte 0, then the row) as
literals and runs of zeros: a zero run of 4 or more is a literal 0 followed by
copies at distance 1. `tokens` below splits the data exactly as the encoder does. Every image uses one dynamic-Huffman block with the same code,
so the code and its block header are computed here once and baked in. Every
literal and length symbol gets a code (counts are smoothed by +1), so any image
can be coded; the counts only decide how small the files are.

The script codes the sample images with the result and checks them with zlib
before printing, and reports the average stream size.
"""

import argparse
import struct
import sys
import zipfile
import zlib

MAX_BITS = 12  # the encoder joins eight literal codes in 128 bits
CODE_LENGTH_MAX_BITS = 7
LITERALS = 286  # 0..255, end of block 256, lengths 257..285
END_OF_BLOCK = 256
CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
               67, 83, 99, 115, 131, 163, 195, 227, 258]
LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                5, 5, 5, 5, 0]
MAX_MATCH = 258


def png_scanlines(data):
    """The unfiltered pixels of an 8-bit grayscale PNG, as scanlines with filter 0."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, _, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour != 0:
                raise ValueError("not 8-bit grayscale")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width + 1
    out, previous = bytearray(), bytearray(width)
    for start in range(0, len(raw), stride):
        kind, line = raw[start], bytearray(raw[start + 1:start + stride])
        for x in range(width if kind else 0):
            left = line[x - 1] if x else 0
            up = previous[x]
            upper_left = previous[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
                line[x] = (line[x] + pred) & 255
        out += b"\x00" + line
        previous = line
    return bytes(out)


def match_lengths(length):
    """Copy lengths (each 3..258) that sum to `length` >= 3, as the encoder splits them."""
    parts = []
    while length > MAX_MATCH:
        # Never leave fewer than 3 for the last copy.
        part = MAX_MATCH if length - MAX_MATCH >= 3 else length - 3
        parts.append(part)
        length -= part
    parts.append(length)
    return parts


def zero_run(run):
    """Tokens of a run of zeros: up to 3 literal zeros, or a literal 0 and copies."""
    if run < 4:
        return [("lit", 0)] * run
    return [("lit", 0)] + [("copy", m) for m in match_lengths(run - 1)]


def tokens(scanlines):
    """('lit', byte) and ('copy', length) tokens, exactly as the encoder emits them:
    eight bytes at a time, a zero word extends the zero run; otherwise its leading
    zeros end the run, its trailing zeros start the next, and the bytes between
    are literals (zeros too)."""
    out, run = [], 0
    whole = len(scanlines) // 8 * 8
    for i in range(0, whole, 8):
        word = scanlines[i:i + 8]
        if not any(word):
            run += 8
            continue
        lead = next(k for k in range(8) if word[k])
        end = 8 - next(k for k in range(8) if word[7 - k])
        out += zero_run(run + lead)
        out += [("lit", b) for b in word[lead:end]]
        run = 8 - end
    for b in scanlines[whole:]:
        if b:
            out += zero_run(run)
            out.append(("lit", b))
            run = 0
        else:
            run += 1
    return out + zero_run(run)


def length_symbol(length):
    for k in range(len(LENGTH_BASE) - 1, -1, -1):
        if length >= LENGTH_BASE[k]:
            return 257 + k


def limited_lengths(counts, limit):
    """Optimal code lengths of at most `limit` bits (package-merge) for counts > 0."""
    used = sorted((c, s) for s, c in enumerate(counts) if c > 0)
    lengths = [0] * len(counts)
    if len(used) == 1:
        lengths[used[0][1]] = 1
        return lengths
    leaves = [(c, [s]) for c, s in used]
    level = list(leaves)
    for _ in range(limit - 1):
        packages = [(level[k][0] + level[k + 1][0], level[k][1] + level[k + 1][1])
                    for k in range(0, len(level) - 1, 2)]
        level = sorted(leaves + packages, key=lambda item: item[0])
    for _, symbols in level[:2 * len(used) - 2]:
        for s in symbols:
            lengths[s] += 1
    return lengths


def canonical_codes(lengths):
    """Canonical Huffman codes (RFC 1951 3.2.2), most significant bit first."""
    count = [0] * (max(lengths) + 2)
    for length in lengths:
        if length:
            count[length] += 1
    code, next_code = 0, [0] * len(count)
    for bits in range(1, len(count)):
        code = (code + count[bits - 1]) << 1 if bits > 1 else 0
        next_code[bits] = code
    codes = [0] * len(lengths)
    for s, length in enumerate(lengths):
        if length:
            codes[s] = next_code[length]
            next_code[length] += 1
    return codes


class Bits:
    def __init__(self):
        self.value, self.count = 0, 0

    def put(self, value, bits):
        self.value |= value << self.count
        self.count += bits

    def put_code(self, code, bits):
        self.put(int(format(code, f"0{bits}b")[::-1], 2) if bits else 0, bits)

    def to_bytes(self):
        return self.value.to_bytes((self.count + 7) // 8, "little")


def run_length_code(lengths):
    """The code-length sequence as (symbol, extra value, extra bits) with 16/17/18."""
    out, i = [], 0
    while i < len(lengths):
        value, j = lengths[i], i
        while j < len(lengths) and lengths[j] == value:
            j += 1
        run = j - i
        if value == 0 and run >= 3:
            while run >= 11:
                take = min(run, 138)
                out.append((18, take - 11, 7))
                run -= take
            if run >= 3:
                out.append((17, run - 3, 3))
                run = 0
            out.extend([(0, 0, 0)] * run)
        else:
            out.append((value, 0, 0))
            run -= 1
            while run >= 3:
                take = min(run, 6)
                out.append((16, take - 3, 2))
                run -= take
            out.extend([(value, 0, 0)] * run)
        i = j
    return out


def block_header(literal_lengths, distance_lengths):
    """BFINAL, BTYPE = dynamic, and the two codes, as a bit string."""
    sequence = run_length_code(literal_lengths + distance_lengths)
    clc_counts = [0] * 19
    for symbol, _, _ in sequence:
        clc_counts[symbol] += 1
    clc_lengths = limited_lengths(clc_counts, CODE_LENGTH_MAX_BITS)
    clc_codes = canonical_codes(clc_lengths)
    ordered = [clc_lengths[s] for s in CODE_LENGTH_ORDER]
    while len(ordered) > 4 and ordered[-1] == 0:
        ordered.pop()
    bits = Bits()
    bits.put(1, 1)  # BFINAL
    bits.put(2, 2)  # BTYPE = 10, dynamic Huffman
    bits.put(len(literal_lengths) - 257, 5)
    bits.put(len(distance_lengths) - 1, 5)
    bits.put(len(ordered) - 4, 4)
    for length in ordered:
        bits.put(length, 3)
    for symbol, extra, extra_bits in sequence:
        bits.put_code(clc_codes[symbol], clc_lengths[symbol])
        bits.put(extra, extra_bits)
    return bits


def deflate(scanlines, header, lengths, codes):
    """The zlib stream the Rust encoder writes, for checking."""
    bits = Bits()
    bits.put(header.value, header.count)
    for kind, value in tokens(scanlines):
        if kind == "lit":
            bits.put_code(codes[value], lengths[value])
        else:
            s = length_symbol(value)
            bits.put_code(codes[s], lengths[s])
            bits.put(value - LENGTH_BASE[s - 257], LENGTH_EXTRA[s - 257])
            bits.put_code(0, 1)  # distance code 0 (distance 1): the 1-bit code 0
    bits.put_code(codes[END_OF_BLOCK], lengths[END_OF_BLOCK])
    adler = zlib.adler32(scanlines)
    return b"\x78\x01" + bits.to_bytes() + adler.to_bytes(4, "big")


def rust_bytes(values, per_line=16):
    lines = []
    for k in range(0, len(values), per_line):
        lines.append("    " + " ".join(f"{v}," for v in values[k:k + per_line]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("archive")
    ap.add_argument("--made-from", required=True,
                    help="how the archive was made, for the generated file's header")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N images")
    args = ap.parse_args()

    with zipfile.ZipFile(args.archive) as z:
        names = [n for n in z.namelist() if n.endswith(".png")]
        if args.limit:
            names = names[:args.limit]
        images = [png_scanlines(z.read(n)) for n in names]
    if not images:
        sys.exit("no PNG in the archive")

    counts = [1] * LITERALS  # smoothing: every symbol stays codable
    for scanlines in images:
        for kind, value in tokens(scanlines):
            counts[value if kind == "lit" else length_symbol(value)] += 1
    counts[END_OF_BLOCK] += len(images)
    lengths = limited_lengths(counts, MAX_BITS)
    codes = canonical_codes(lengths)
    # Two distance codes of one bit each: a complete code every inflater accepts;
    # only code 0 (distance 1) is used.
    header = block_header(lengths, [1, 1])

    total = 0
    for scanlines in images:
        stream = deflate(scanlines, header, lengths, codes)
        if zlib.decompress(stream) != scanlines:
            sys.exit("internal error: a sample image does not round-trip")
        total += len(stream)

    header_bytes = header.to_bytes()
    print(f"// Generated by scripts/png_code_lengths.py from the {len(images)} images of")
    print(f"// {args.made_from}")
    print(f"// (zlib streams of {total / len(images):.0f} bytes on average). Do not edit.")
    print()
    print("/// Code length of each literal/length symbol (0..=285).")
    print(f"pub const LENGTHS: [u8; {LITERALS}] = [")
    print(rust_bytes(lengths))
    print("];")
    print()
    print("/// BFINAL, BTYPE and the code definitions, least significant bit first;")
    print("/// the last byte holds `HEADER_BITS % 8` bits.")
    print(f"pub const HEADER: [u8; {len(header_bytes)}] = [")
    print(rust_bytes(list(header_bytes)))
    print("];")
    print(f"pub const HEADER_BITS: u32 = {header.count};")
    print(f"average {total / len(images):.1f} bytes over {len(images)} images",
          file=sys.stderr)


if __name__ == "__main__":
    main()
