# SPDX-License-Identifier: Apache-2.0
"""Flattened device trees: reading a DTB into nodes, property values, writing dts source."""
import struct
from dataclasses import dataclass, field

from .common import align_up

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9


@dataclass
class FdtNode:
    name: str
    props: dict = field(default_factory=dict)  # property name -> raw value, in order
    children: list = field(default_factory=list)

    def child(self, name):
        """The child called name; like libfdt, "name" also finds "name@unit"."""
        for node in self.children:
            if node.name == name:
                return node
        for node in self.children:
            if node.name.split("@")[0] == name:
                return node
        return None

    def is_compatible(self, compatible):
        return compatible in (prop_strings(self.props.get("compatible", b"")) or [])


def parse_fdt(blob):
    """The tree of a DTB (devicetree specification, chapter 5)."""
    (magic, _, off_struct, off_strings, _, _, _, _, size_strings,
     size_struct) = struct.unpack_from(">10I", blob)
    if magic != FDT_MAGIC:
        raise ValueError("not a flattened device tree")
    strings = blob[off_strings:off_strings + size_strings]
    pos, end, stack, root = off_struct, off_struct + size_struct, [], None
    while pos < end:
        (token,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if token == FDT_BEGIN_NODE:
            nul = blob.index(b"\0", pos)
            node = FdtNode(blob[pos:nul].decode())
            pos = align_up(nul + 1, 4)
            if stack:
                stack[-1].children.append(node)
            else:
                root = node
            stack.append(node)
        elif token == FDT_END_NODE:
            stack.pop()
        elif token == FDT_PROP:
            length, name_offset = struct.unpack_from(">II", blob, pos)
            name = strings[name_offset:strings.index(b"\0", name_offset)].decode()
            stack[-1].props[name] = blob[pos + 8:pos + 8 + length]
            pos = align_up(pos + 8 + length, 4)
        elif token == FDT_END:
            break
        elif token != FDT_NOP:
            raise ValueError(f"unknown token 0x{token:x} at offset {pos - 4}")
    if root is None:
        raise ValueError("no root node")
    return root


# ------------------------------------------------------------------ property values

def prop_cells(raw):
    """A value as 32-bit cells, or None if it is not a whole number of cells."""
    if raw is None or len(raw) % 4:
        return None
    return list(struct.unpack(f">{len(raw) // 4}I", raw))


def prop_number(raw):
    """One cell, or two cells (high, low) as one 64-bit number; None otherwise."""
    cells = prop_cells(raw)
    if cells is None or len(cells) not in (1, 2):
        return None
    return cells[0] if len(cells) == 1 else cells[0] << 32 | cells[1]


def printable(data):
    return all(0x20 <= b < 0x7F or b in b"\t\n" for b in data)


def prop_strings(raw):
    """A value as a list of strings, or None if it is not NUL-terminated printable text."""
    if raw is None or not raw.endswith(b"\0"):
        return None
    parts = raw[:-1].split(b"\0")
    if not all(printable(p) for p in parts) or (len(parts) > 1 and not all(parts)):
        return None
    return [p.decode() for p in parts]


def prop_string(raw):
    strings = prop_strings(raw)
    return strings[0] if strings and len(strings) == 1 else None


def dts_string(text):
    """A dts string literal: escape quotes, backslashes and control characters."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def dts_value(raw):
    """A raw property value in dts syntax, the way dtc shows it; None for an empty value."""
    if not raw:
        return None
    strings = prop_strings(raw)
    if strings is not None:
        return ", ".join(dts_string(s) for s in strings)
    cells = prop_cells(raw)
    if cells is not None:
        return "<" + " ".join(str(c) if c < 0x100 else f"0x{c:x}" for c in cells) + ">"
    return "[" + " ".join(f"{b:02x}" for b in raw) + "]"


def dts_property(name, raw, indent):
    value = dts_value(raw)
    return f"{indent}{name};" if value is None else f"{indent}{name} = {value};"


# A configuration file's phandles (from its labels) mean nothing in the machine's tree, where
# they could collide with QEMU's own.
LOCAL_PROPS = ("phandle", "linux,phandle")


def dts_node(node, depth):
    """A node and everything under it, as dts lines, less the phandles."""
    indent = "\t" * depth
    lines = [f"{indent}{node.name} {{"]
    lines += [dts_property(name, raw, indent + "\t") for name, raw in node.props.items()
              if name not in LOCAL_PROPS]
    for child in node.children:
        lines += dts_node(child, depth + 1)
    return lines + [f"{indent}}};"]


def string_value(text):
    return text.encode() + b"\0"


def cells_value(*cells):
    return struct.pack(f">{len(cells)}I", *cells)


def u64_value(n):
    return cells_value(n >> 32, n & 0xFFFFFFFF)

