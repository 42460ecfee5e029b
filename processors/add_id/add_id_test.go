package addid

import (
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// TestDefault follows Beats' add_id_test: the default target is the
// document _id, a 20-character ID.
func TestDefault(t *testing.T) {
	p, err := New(proctest.Section(t, "- add_id: ~"), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, `{"message": "x"}`)
	e.Meta.ID = "from-input"
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	if len(e.Meta.ID) != 20 || e.Meta.ID == "from-input" || len(e.Fields) != 1 {
		t.Fatalf("%+v %v", e.Meta, e.Fields)
	}
}

func TestTargetField(t *testing.T) {
	p, err := New(proctest.Section(t, "- add_id: {target_field: foo}"), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, `{"message": "x"}`)
	p.Run(e)
	if v, _ := e.Fields.GetString("foo"); len(v) != 20 || e.Meta.ID != "" {
		t.Fatalf("foo=%q meta %+v", v, e.Meta)
	}
}

func TestInvalidType(t *testing.T) {
	_, err := New(proctest.Section(t, "- add_id:\n    type: uuid4"), processors.Env{})
	if err == nil || err.Error() != "test.yml:3: processors[0].add_id.type: invalid type [uuid4] (only elasticsearch is supported)" {
		t.Fatalf("got %v", err)
	}
}

// TestIDLayout checks the bytes against Elasticsearch's layout.
func TestIDLayout(t *testing.T) {
	ts := time.UnixMilli(0x0102030405)
	g := NewGenerator([]byte{1, 2, 3, 4, 5, 6}, func() time.Time { return ts })
	g.seq = 0x00aabbcc - 1
	b, err := base64.RawURLEncoding.DecodeString(g.NextID())
	if err != nil || len(b) != 15 {
		t.Fatal(b, err)
	}
	if b[0] != 0xcc || b[1] != 0xaa || b[13] != 0xbb {
		t.Errorf("sequence bytes % x", b)
	}
	if b[2] != 0x03 || b[3] != 0x02 || b[4] != 0x01 || b[5] != 0 || b[12] != 0x04 || b[14] != 0x05 {
		t.Errorf("time bytes % x", b)
	}
}

func TestUniqueAndMonotonic(t *testing.T) {
	clock := time.UnixMilli(1_700_000_000_000)
	var mu sync.Mutex
	g := NewGenerator(nil, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(-time.Millisecond) // a clock going backwards
		return clock
	})
	seen := map[string]bool{}
	var wg sync.WaitGroup
	var smu sync.Mutex
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				id := g.NextID()
				smu.Lock()
				if seen[id] {
					t.Errorf("duplicate %s", id)
				}
				seen[id] = true
				smu.Unlock()
			}
		}()
	}
	wg.Wait()
	// The clock went back 20000 ms; the IDs' time did not.
	if g.lastTS < uint64(1_700_000_000_000-1) {
		t.Fatalf("time went back: %d", g.lastTS)
	}
}

func TestUnderWhen(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, "- add_id:\n    target_field: event.id\n    when.equals.message: x\n"), processors.Env{Metrics: monitoring.NewRegistry(), Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]bool{`{"message": "x"}`: true, `{"message": "y"}`: false} {
		e := proctest.Event(t, doc)
		procs[0].Run(e)
		if e.Fields.Has("event.id") != want {
			t.Errorf("%s: %v", doc, e.Fields)
		}
	}
}
