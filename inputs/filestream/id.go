package filestream

import (
	"encoding/base64"
	"hash/crc32"
	"hash/fnv"
	"strconv"
	"unsafe"
)

// docIDPrefix is the stable part of the document _id of every line of one
// file: a hash of the input id and the file identity.
func docIDPrefix(inputID, ident string) string {
	h := fnv.New128a()
	h.Write([]byte(inputID))
	h.Write([]byte{0})
	h.Write([]byte(ident))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12]) + "-"
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// docID is the _id of the line at offset start of the file whose prefix is
// pfx: the prefix, the offset and a 64-bit hash of the line's bytes. A line
// read twice (retry, crash, restart) gets the same _id and Elasticsearch
// refuses the copy with a 409. Other bytes at the same offset of a file
// with the same identity (a new file under `file_identity: path` after a
// rename, copytruncate or inode reuse under `native`) get another _id, so
// they are indexed instead of being taken for duplicates (issue 18).
//
// The hash is two CRC-32s (Castagnoli and IEEE), both computed by the CPU
// on amd64 and arm64: cheap, and as unlikely to collide by chance as a
// 64-bit hash. It is not cryptographic: someone who writes to the log can
// craft a line that collides with the old line at its offset, which only
// hides that crafted line.
func docID(pfx string, start int64, line []byte) string {
	return renderDocID(pfx, start, uint64(crc32.Checksum(line, castagnoli))<<32|uint64(crc32.ChecksumIEEE(line)))
}

// renderDocID writes the _id of docID from the hash of the line.
func renderDocID(pfx string, start int64, sum uint64) string {
	var buf [64]byte // prefix 17 + offset ≤ 13 + 1 + hash 11: one allocation, the string
	b := append(buf[:0], pfx...)
	b = strconv.AppendInt(b, start, 36)
	b = append(b, '-')
	for range 11 { // the 64 bits in URL-safe base64, low bits first
		b = append(b, base64URL[sum&63])
		sum >>= 6
	}
	return string(b)
}

// lazyID is the _id of a line whose bytes are its message (msg), plus a
// '\r' when cr (line_terminator: auto cut it off): docID(pfx, start, the
// line), computed only when an output asks for it (event.Meta.DocID).
// Hashing the line and rendering the _id cost as much as a tenth of the
// squid input's work per line, for nothing with output.file (issue 17).
type lazyID struct {
	pfx   string
	start int64
	msg   string
	cr    bool
}

var crByte = []byte{'\r'}

func (l *lazyID) DocID() string {
	line := unsafe.Slice(unsafe.StringData(l.msg), len(l.msg)) // read only
	c, i := crc32.Checksum(line, castagnoli), crc32.ChecksumIEEE(line)
	if l.cr {
		c, i = crc32.Update(c, castagnoli, crByte), crc32.Update(i, crc32.IEEETable, crByte)
	}
	return renderDocID(l.pfx, l.start, uint64(c)<<32|uint64(i))
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// eface is the layout of an `any`: the dynamic type, and a pointer to the
// value (for a string or an int64, a copy the runtime allocates).
type eface struct {
	typ, data unsafe.Pointer
}

var (
	stringType = (*eface)(unsafe.Pointer(&[]any{""}[0])).typ
	int64Type  = (*eface)(unsafe.Pointer(&[]any{int64(0)}[0])).typ
)

// boxString and boxInt64 return *p as an `any` that points at *p, where
// the runtime would copy the value into an allocation of its own (16 and 8
// bytes per line, issue 17), as grok.Values does for the parsed fields. p
// is in the event's ackPoint, which nothing changes once it is published;
// the value keeps its ackPoint chunk alive like any pointer into it.
func boxString(p *string) (v any) {
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: stringType, data: unsafe.Pointer(p)}
	return v
}

func boxInt64(p *int64) (v any) {
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: int64Type, data: unsafe.Pointer(p)}
	return v
}
