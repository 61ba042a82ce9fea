#!/usr/bin/env python3
"""Writes PythonFixtures.swift: streams made by Python's zlib and gzip modules, for CompressionTests.

Run it from anywhere with the standard library only; the output is deterministic for a given zlib
version (it is recorded in the file). Plaintexts are not stored: FixtureInputs.swift regenerates
them with the same recipes as `plaintexts()` below, from a seeded SplitMix64 generator.

To keep the generated file small, a DEFLATE body is stored as pieces: base64 text, and ranges of
the plaintext where the body holds a stored block's bytes verbatim. The script checks that the
pieces rebuild the exact bytes Python produced.

    python3 Tests/CompressionTests/make-fixtures.py
"""

import base64
import gzip
import os
import struct
import zlib

MASK64 = (1 << 64) - 1


class SplitMix64:
    """The generator the Swift tests use (SeededGenerator), so both sides make the same bytes."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        value = self.state
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
        return value ^ (value >> 31)


def random_bytes(seed, count):
    """`count` bytes: each generator output, least significant byte first."""
    generator = SplitMix64(seed)
    out = bytearray()
    while len(out) < count:
        out += generator.next().to_bytes(8, "little")
    return bytes(out[:count])


STATUSES = ["HELD", "CONFIRMED", "CANCELLED", "EXPIRED"]


def json_records(seed, count):
    """A JSON array of reservation records, cut to exactly `count` bytes."""
    generator = SplitMix64(seed)
    out = bytearray(b"[")
    index = 0
    while len(out) < count:
        r = generator.next()
        record = '{"id":"res_%06d","eventId":"evt_%d","seat":"%s%d","quantity":%d,"status":"%s","holder":"user-%d"}' % (
            index,
            r % 7,
            "ABCDEFGH"[(r >> 8) % 8],
            (r >> 16) % 40 + 1,
            (r >> 24) % 4 + 1,
            STATUSES[(r >> 32) % 4],
            (r >> 40) % 1000,
        )
        if index > 0:
            out += b",\n"
        out += record.encode()
        index += 1
    return bytes(out[:count])


SHORT_JSON = b'{"eventId":"evt_2025_1001","seats":["A1","A2"],"quantity":2,"holder":"user-42"}'


def plaintexts():
    """The inputs, by the names FixtureInput uses in Swift."""
    far = random_bytes(3, 4096)
    return {
        "empty": b"",
        "oneByte": b"x",
        "shortJSON": SHORT_JSON,
        "jsonRecords": json_records(1, 100_000),
        "randomBytes": random_bytes(2, 65536),
        "repetitive": b"ab" * 5000 + bytes(20000) + b"the quick brown fox " * 1000 + bytes(range(256)) * 40,
        # The 4 KiB block repeats 32,468 bytes later, just inside zlib's reach (it never emits a
        # distance above 32,506), then the data runs on past 32 KiB.
        "longDistance": far + json_records(4, 28372) + far + random_bytes(5, 1000),
        # 32 KiB of random bytes, then two matches 32,768 back: hand-made, see far_distance_body().
        "farDistance": random_bytes(6, 32768) + random_bytes(6, 516),
    }


LEVEL_INPUTS = ["empty", "oneByte", "shortJSON", "jsonRecords", "randomBytes", "repetitive", "longDistance"]


def raw_deflate(data, level, strategy=zlib.Z_DEFAULT_STRATEGY, mem_level=8):
    if strategy == zlib.Z_DEFAULT_STRATEGY and mem_level == 8:
        # One call, as zlib.compress and gzip.compress make it: at level 0 a compressor fed in
        # steps cuts its stored blocks elsewhere.
        return zlib.compress(data, level, wbits=-15)
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, mem_level, strategy)
    return compressor.compress(data) + compressor.flush()


class BitWriter:
    """DEFLATE bit order: values from their least significant bit, Huffman codes from their most."""

    def __init__(self):
        self.out = bytearray()
        self.bit = 0

    def bits(self, value, count):
        for index in range(count):
            if self.bit == 0:
                self.out.append(0)
            self.out[-1] |= ((value >> index) & 1) << self.bit
            self.bit = (self.bit + 1) % 8

    def code(self, code, length):
        for index in reversed(range(length)):
            self.bits((code >> index) & 1, 1)


def far_distance_body(plain):
    """A stored block of 32 KiB, then a fixed block with two matches of 258 bytes at distance 32,768."""
    stored = bytes([0x00]) + struct.pack("<HH", 32768, 0xFFFF ^ 32768)
    writer = BitWriter()
    writer.bits(1, 1)  # BFINAL
    writer.bits(1, 2)  # BTYPE 01, fixed codes
    for _ in range(2):
        writer.code(0b11000000 + (285 - 280), 8)  # length 258 (RFC 1951 §3.2.6: 280-287 are 8 bits)
        writer.code(29, 5)  # distance code 29: 24577 + 13 extra bits
        writer.bits(32768 - 24577, 13)
    writer.code(0, 7)  # end of block
    body = stored + plain[:32768] + bytes(writer.out)
    assert zlib.decompress(body, -15) == plain
    return body


def header_fields_gzip(plain):
    """A gzip member with every header field set: FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT."""
    extra = b"AP" + struct.pack("<H", 4) + b"test"
    header = bytes([0x1F, 0x8B, 8, 0x1F]) + struct.pack("<I", 1_700_000_000) + bytes([0, 3])
    header += struct.pack("<H", len(extra)) + extra + b"seats.json\0" + b"hold request\0"
    header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    member = header + raw_deflate(plain, 6) + struct.pack("<II", zlib.crc32(plain), len(plain))
    assert gzip.decompress(member) == plain
    return member


def pieces(body, plain):
    """Splits `body` into base64 text and plaintext ranges (the data of stored blocks)."""
    out = []
    start = 0
    index = 0
    while index + 4 <= len(body):
        length, complement = struct.unpack_from("<HH", body, index)
        data = body[index + 4 : index + 4 + length]
        found = plain.find(data) if length >= 64 and length == complement ^ 0xFFFF and len(data) == length else -1
        if found < 0:
            index += 1
            continue
        if index + 4 > start:
            out.append(("bytes", body[start : index + 4]))
        out.append(("plaintext", found, length))
        index += 4 + length
        start = index
    if start < len(body):
        out.append(("bytes", body[start:]))
    rebuilt = b"".join(piece[1] if piece[0] == "bytes" else plain[piece[1] : piece[1] + piece[2]] for piece in out)
    assert rebuilt == body
    return out


def swift_bytes(data):
    return "[" + ", ".join("0x%02X" % byte for byte in data) + "]"


def swift_base64(data, indent):
    text = base64.b64encode(data).decode()
    lines = [text[index : index + 112] for index in range(0, len(text), 112)] or [""]
    pad = " " * indent
    return '"""\n' + "".join(pad + line + "\n" for line in lines) + pad + '"""'


def swift_pieces(parts, indent):
    pad = " " * indent
    out = []
    for part in parts:
        if part[0] == "bytes":
            out.append(pad + ".base64(" + swift_base64(part[1], indent + 4) + "),")
        else:
            out.append(pad + ".plaintext(%d, count: %d)," % (part[1], part[2]))
    return "\n".join(out)


def main():
    inputs = plaintexts()
    bodies = []  # (input name, body bytes, pieces)
    body_index = {}

    def add_body(name, body):
        key = (name, body)
        if key not in body_index:
            body_index[key] = len(bodies)
            bodies.append((name, body, pieces(body, inputs[name])))
        return body_index[key]

    streams = []
    for name in LEVEL_INPUTS:
        plain = inputs[name]
        for level in range(10):
            body = raw_deflate(plain, level)
            zlib_stream = zlib.compress(plain, level)
            gzip_stream = gzip.compress(plain, level, mtime=1_700_000_000)
            # The wrappers hold the same DEFLATE body, so it is stored once.
            assert zlib_stream[2:-4] == body and gzip_stream[10:-8] == body, (name, level)
            assert zlib.decompress(zlib_stream) == plain and gzip.decompress(gzip_stream) == plain
            streams.append((name, level, add_body(name, body), zlib_stream[:2], zlib_stream[-4:], gzip_stream[:10], gzip_stream[-8:]))
        if name == "longDistance":
            # Without the far match, each level would spend ~4 KiB more on the repeated block.
            assert all(len(raw_deflate(plain, level)) < len(raw_deflate(plain, 0)) - 4096 * 2 for level in range(1, 10))

    variants = []
    for name, strategy, strategy_name in [
        ("shortJSON", zlib.Z_FIXED, "fixed codes only"),
        ("repetitive", zlib.Z_FIXED, "fixed codes only"),
        ("shortJSON", zlib.Z_FILTERED, "filtered"),
    ]:
        variants.append((name, "level 6, " + strategy_name, add_body(name, raw_deflate(inputs[name], 6, strategy))))
    variants.append(("jsonRecords", "level 6, memLevel 1: many small blocks", add_body("jsonRecords", raw_deflate(inputs["jsonRecords"], 6, mem_level=1))))
    for name in ["shortJSON", "repetitive"]:
        # A sync flush ends a block with an empty stored block in the middle of the stream.
        plain = inputs[name]
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = compressor.compress(plain[: len(plain) // 2]) + compressor.flush(zlib.Z_SYNC_FLUSH)
        body += compressor.compress(plain[len(plain) // 2 :]) + compressor.flush()
        assert zlib.decompress(body, -15) == plain
        variants.append((name, "level 6, sync flush halfway", add_body(name, body)))
    variants.append(("farDistance", "hand-made: distance 32,768", add_body("farDistance", far_distance_body(inputs["farDistance"]))))

    second = inputs["jsonRecords"][:3000]
    two_members = gzip.compress(SHORT_JSON, 6, mtime=0) + gzip.compress(second, 1, mtime=0)
    assert gzip.decompress(two_members) == SHORT_JSON + second
    zeros = gzip.compress(bytes(10_000_000), 9, mtime=0)

    lines = [
        "// Generated by make-fixtures.py with Python %s and zlib %s. Do not edit: run the script."
        % (".".join(map(str, __import__("sys").version_info[:3])), zlib.ZLIB_RUNTIME_VERSION),
        "",
        "/// Streams from Python's zlib and gzip modules: every input of `FixtureInput.levelInputs` at levels 0–9.",
        "/// The gzip and zlib forms wrap the raw DEFLATE body with these headers and trailers.",
        "let pythonStreams: [PythonStream] = [",
    ]
    for name, level, body, zlib_header, zlib_trailer, gzip_header, gzip_trailer in streams:
        lines.append(
            "    PythonStream(input: .%s, level: %d, body: %d, zlibHeader: %s, zlibTrailer: %s,\n"
            "                 gzipHeader: %s, gzipTrailer: %s),"
            % (name, level, body, swift_bytes(zlib_header), swift_bytes(zlib_trailer), swift_bytes(gzip_header), swift_bytes(gzip_trailer))
        )
    lines.append("]")
    lines.append("")
    lines.append("/// Raw DEFLATE streams made with other zlib settings, or by hand.")
    lines.append("let pythonVariants: [PythonVariant] = [")
    for name, description, body in variants:
        lines.append('    PythonVariant(input: .%s, description: "%s", body: %d),' % (name, description, body))
    lines.append("]")
    lines.append("")
    lines.append("/// The DEFLATE bodies the streams above refer to by index; each rebuilds from its pieces.")
    lines.append("let deflateBodies: [[BodyPiece]] = [")
    for index, (name, body, parts) in enumerate(bodies):
        lines.append("    // %d: %s, %d bytes" % (index, name, len(body)))
        lines.append("    [")
        lines.append(swift_pieces(parts, 8))
        lines.append("    ],")
    lines.append("]")
    lines.append("")
    lines.append("/// A gzip member with FTEXT, FHCRC, FEXTRA, FNAME and FCOMMENT set, around `FixtureInput.shortJSON`.")
    lines.append("let headerFieldsGzip = " + swift_base64(header_fields_gzip(SHORT_JSON), 4))
    lines.append("")
    lines.append("/// Two gzip members: `shortJSON` at level 6, then the first 3,000 bytes of `jsonRecords` at level 1.")
    lines.append("let twoMemberGzip = " + swift_base64(two_members, 4))
    lines.append("")
    lines.append("/// 10,000,000 zero bytes, gzip level 9: %d bytes that decode a thousand times larger." % len(zeros))
    lines.append("let tenMillionZerosGzip = " + swift_base64(zeros, 4))
    lines.append("")

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "PythonFixtures.swift")
    with open(path, "w") as file:
        file.write("\n".join(lines))
    print("wrote %s (%d bytes, %d bodies)" % (path, os.path.getsize(path), len(bodies)))


if __name__ == "__main__":
    main()
