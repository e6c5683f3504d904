#!/usr/bin/env python3
"""extract-core.py COMPONENT OUTDIR

Writes every core wasm module embedded in a WebAssembly component as
OUTDIR/core-N.wasm (N = 0, 1, ... in the order they appear, depth first) and
prints one line per module with its size and a short summary.

Component binary format (component model, binary "layer 1"):
  preamble  "\\0asm" + version 0x0d 0x00 + layer 0x01 0x00
  sections  1-byte id, u32 LEB128 size, payload
    id 0x01  core module: the payload is a complete core module
             ("\\0asm" 0x01 0x00 0x00 0x00 ...)
    id 0x04  nested component: the payload is a complete component
             (recursed into)
    others   core instance/type, instance, alias, type, canon, start,
             import, export, value, custom: skipped
Python 3 standard library only.
"""
import os
import sys

MAGIC = b"\0asm"
COMPONENT_PREAMBLE = MAGIC + bytes([0x0D, 0x00, 0x01, 0x00])
CORE_PREAMBLE = MAGIC + bytes([0x01, 0x00, 0x00, 0x00])


class FormatError(Exception):
    pass


def read_leb_u32(buf, pos, end):
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise FormatError("truncated LEB128 at offset %d" % pos)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift > 28:
            raise FormatError("LEB128 u32 too long at offset %d" % pos)
    if result > 0xFFFFFFFF:
        raise FormatError("LEB128 u32 out of range at offset %d" % pos)
    return result, pos


def sections(buf, start, end):
    """Yields (id, payload_start, payload_end) for the sections in buf[start:end]."""
    pos = start
    while pos < end:
        sid = buf[pos]
        size, pos = read_leb_u32(buf, pos + 1, end)
        if pos + size > end:
            raise FormatError(
                "section id %d at offset %d runs past its parent (size %d)" % (sid, pos, size)
            )
        yield sid, pos, pos + size
        pos += size


def walk_component(buf, start, end, path, found):
    if buf[start : start + 8] != COMPONENT_PREAMBLE:
        if buf[start : start + 8] == CORE_PREAMBLE:
            raise FormatError("%s is a core module, not a component" % (path or "input"))
        raise FormatError(
            "bad component preamble at offset %d: %s" % (start, buf[start : start + 8].hex())
        )
    n_module = n_component = 0
    for sid, ps, pe in sections(buf, start + 8, end):
        if sid == 0x01:
            if buf[ps : ps + 8] != CORE_PREAMBLE:
                raise FormatError("core module section at offset %d lacks a core preamble" % ps)
            found.append(("%s/module[%d]" % (path, n_module), ps, pe))
            n_module += 1
        elif sid == 0x04:
            walk_component(buf, ps, pe, "%s/component[%d]" % (path, n_component), found)
            n_component += 1


def summarize_core(buf, start, end):
    """Counts imports, defined functions, code and data bytes of a core module."""
    info = {"imports": 0, "funcs": 0, "code": 0, "data": 0}
    for sid, ps, pe in sections(buf, start + 8, end):
        if sid == 2:
            info["imports"] = read_leb_u32(buf, ps, pe)[0]
        elif sid == 3:
            info["funcs"] = read_leb_u32(buf, ps, pe)[0]
        elif sid == 10:
            info["code"] = pe - ps
        elif sid == 11:
            info["data"] = pe - ps
    return info


def main(argv):
    if len(argv) != 3:
        print("usage: extract-core.py COMPONENT OUTDIR", file=sys.stderr)
        return 2
    src, outdir = argv[1], argv[2]
    try:
        with open(src, "rb") as f:
            buf = f.read()
    except OSError as e:
        print("extract-core.py: error: cannot read %s: %s" % (src, e.strerror), file=sys.stderr)
        return 1
    found = []
    try:
        walk_component(buf, 0, len(buf), "", found)
    except FormatError as e:
        print("extract-core.py: error: %s: %s" % (src, e), file=sys.stderr)
        return 1
    if not found:
        print("extract-core.py: error: %s contains no core module" % src, file=sys.stderr)
        return 1
    os.makedirs(outdir, exist_ok=True)
    # Remove modules left by an earlier run on a component with more of them.
    for name in os.listdir(outdir):
        if name.startswith("core-") and name.endswith(".wasm"):
            os.remove(os.path.join(outdir, name))
    biggest = max(range(len(found)), key=lambda i: found[i][2] - found[i][1])
    for i, (path, ps, pe) in enumerate(found):
        out = os.path.join(outdir, "core-%d.wasm" % i)
        with open(out, "wb") as f:
            f.write(buf[ps:pe])
        s = summarize_core(buf, ps, pe)
        print(
            "%s %10d bytes  %-22s imports=%d funcs=%d code=%d data=%d%s"
            % (
                out,
                pe - ps,
                path[1:],
                s["imports"],
                s["funcs"],
                s["code"],
                s["data"],
                "  <- largest" if i == biggest else "",
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
