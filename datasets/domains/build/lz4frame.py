"""Pure-Python LZ4 frame decoder (enough for APT's Packages.lz4 lists)."""
import struct


def decompress(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    n = len(data)
    while pos < n:
        magic = struct.unpack_from("<I", data, pos)[0]
        if 0x184D2A50 <= magic <= 0x184D2A5F:  # skippable frame
            size = struct.unpack_from("<I", data, pos + 4)[0]
            pos += 8 + size
            continue
        if magic != 0x184D2204:
            raise ValueError("not an LZ4 frame")
        pos += 4
        flg = data[pos]
        pos += 2  # FLG, BD
        if flg & 0x08:
            pos += 8
        if flg & 0x01:
            pos += 4
        pos += 1  # header checksum
        block_ck = bool(flg & 0x10)
        content_ck = bool(flg & 0x04)
        while True:
            bsize = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            if bsize == 0:
                break
            raw = bsize & 0x80000000
            bsize &= 0x7FFFFFFF
            if raw:
                out += data[pos:pos + bsize]
            else:
                _block(data, pos, pos + bsize, out)
            pos += bsize + (4 if block_ck else 0)
        if content_ck:
            pos += 4
    return bytes(out)


def _block(src, i, end, out):
    while i < end:
        token = src[i]
        i += 1
        lit = token >> 4
        if lit == 15:
            while True:
                b = src[i]
                i += 1
                lit += b
                if b != 255:
                    break
        if lit:
            out += src[i:i + lit]
            i += lit
        if i >= end:
            break
        off = src[i] | (src[i + 1] << 8)
        i += 2
        ml = token & 15
        if ml == 15:
            while True:
                b = src[i]
                i += 1
                ml += b
                if b != 255:
                    break
        ml += 4
        start = len(out) - off
        if off >= ml:
            out += out[start:start + ml]
        else:
            chunk = out[start:]
            while ml > 0:
                take = chunk[:ml]
                out += take
                ml -= len(take)
