package xxhash

import (
	"fmt"
	"testing"
)

func TestXXH64Vectors(t *testing.T) {
	for in, want := range map[string]uint64{
		"":    0xef46db3751d8e999,
		"a":   0xd24ec4f1a98c6e5b,
		"abc": 0x44bc2cf5ad770999,
		"Nobody inspects the spammish repetition": 0xfbcea83c8a378bf1,
	} {
		if got := Sum64([]byte(in)); got != want {
			t.Errorf("Sum64(%q) = %016x, want %016x", in, got, want)
		}
	}
	// Beats' TestHashMethods input.
	if got := fmt.Sprintf("%016x", Sum64([]byte("|field1|foo|field2|bar|"))); got != "37bc50682fba6686" {
		t.Errorf("beats vector: %s", got)
	}
}
