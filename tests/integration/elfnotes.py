# SPDX-License-Identifier: BSD-2-Clause
"""elfnotes - read SystemTap SDT notes of an ELF64 file and locate probe
sites in a running process (standard library only)."""

import struct

PT_LOAD = 1


class Note:
    def __init__(self, provider, name, pc, base, sem, args):
        self.provider, self.name, self.pc = provider, name, pc
        self.base, self.sem, self.args = base, sem, args

    def __repr__(self):
        return "Note(%s:%s @%#x args=%r)" % (self.provider, self.name, self.pc, self.args)


class Elf:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2:
            raise ValueError("%s: not ELF64" % path)
        (self.e_type, _, _, _, e_phoff, e_shoff, _, _, e_phentsize, e_phnum,
         e_shentsize, e_shnum, e_shstrndx) = struct.unpack_from(
            "<HHIQQQIHHHHHH", d, 16)
        self.segments = []
        for i in range(e_phnum):
            (p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _) = \
                struct.unpack_from("<IIQQQQQQ", d, e_phoff + i * e_phentsize)
            if p_type == PT_LOAD:
                self.segments.append((p_vaddr, p_offset, p_filesz, p_memsz))
        self.sections = {}
        shdrs = []
        for i in range(e_shnum):
            shdrs.append(struct.unpack_from("<IIQQQQIIQQ", d, e_shoff + i * e_shentsize))
        strtab = shdrs[e_shstrndx][4]
        for sh in shdrs:
            name_off, sh_type, _, sh_addr, sh_offset, sh_size = sh[:6]
            end = d.index(b"\0", strtab + name_off)
            name = d[strtab + name_off:end].decode()
            self.sections.setdefault(name, []).append((sh_addr, sh_offset, sh_size))

    @property
    def pie_or_dyn(self):
        return self.e_type == 3  # ET_DYN

    def notes(self):
        out = []
        stapsdt_base = None
        if ".stapsdt.base" in self.sections:
            stapsdt_base = self.sections[".stapsdt.base"][0][0]
        for _, off, size in self.sections.get(".note.stapsdt", []):
            pos, end = off, off + size
            while pos + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", self.data, pos)
                pos += 12
                name = self.data[pos:pos + namesz].rstrip(b"\0")
                pos += (namesz + 3) & ~3
                desc = self.data[pos:pos + descsz]
                pos += (descsz + 3) & ~3
                if name != b"stapsdt" or ntype != 3:
                    continue
                pc, base, sem = struct.unpack_from("<QQQ", desc, 0)
                strs = desc[24:].split(b"\0")
                if stapsdt_base is not None and base:
                    pc += stapsdt_base - base  # prelink adjustment
                out.append(Note(strs[0].decode(), strs[1].decode(), pc, base, sem,
                                strs[2].decode()))
        return out

    def vaddr_to_offset(self, vaddr):
        for p_vaddr, p_offset, p_filesz, _ in self.segments:
            if p_vaddr <= vaddr < p_vaddr + p_filesz:
                return vaddr - p_vaddr + p_offset
        raise ValueError("%#x not in a loaded segment" % vaddr)


def runtime_address(pid, path, elf, vaddr):
    """Where file-virtual address `vaddr` of `path` is mapped in `pid`."""
    import os
    off = elf.vaddr_to_offset(vaddr)
    st = os.stat(path)
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 6:
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            moff = int(parts[2], 16)
            inode = int(parts[4])
            if inode != st.st_ino:
                continue
            if moff <= off < moff + (end - start):
                return start + off - moff
    raise ValueError("%s offset %#x not mapped in %d" % (path, off, pid))


def read_mem(pid, addr, n):
    with open("/proc/%d/mem" % pid, "rb") as f:
        f.seek(addr)
        return f.read(n)
