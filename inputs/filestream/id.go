package filestream

import (
	"encoding/base64"
	"hash/fnv"
)

// docIDPrefix is the stable part of the document _id of every line of one
// file: a hash of the input id and the file identity. The line's offset
// completes it, so a line read twice (retry, crash, restart) gets the same
// _id and Elasticsearch refuses the copy with a 409.
func docIDPrefix(inputID, ident string) string {
	h := fnv.New128a()
	h.Write([]byte(inputID))
	h.Write([]byte{0})
	h.Write([]byte(ident))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12]) + "-"
}
