package pipeline

import (
	"sync"
	"sync/atomic"

	"github.com/shipper-project/shipper/shipper/event"
)

// DocumentsAtPublish is implemented by outputs that write each event as
// the document event.Encoder.Append writes, followed by '\n' (NDJSON),
// and use nothing else of the event. The pipeline then encodes every
// event in Publish, on the input's goroutine, while its fields and values
// are still in that core's cache (issue 17: encoding a batch of cold
// events on the output's core cost more than the encoding itself), and
// the event goes back to its event.Pool at once, on the core that takes
// the next one. Such an output reads Batch.Doc (Batch.Event is nil for an
// encoded event) and never marks an item DeadLetter (there is no event to
// write there): a failure is a whole-batch error, retried.
type DocumentsAtPublish interface{ DocumentsAtPublish() }

// Documents are encoded into chunks of docChunkSize bytes, so that the
// documents of a batch from one input lie one after the other (the output
// writes them with few copies) and their memory is reused: a chunk goes
// back to the pipeline's pool once every document in it is acknowledged.
const docChunkSize = 128 << 10

// docReserveMax bounds the room an encoder wants left in its chunk before
// it encodes a document there; a larger document goes to an allocation
// of its own.
const docReserveMax = docChunkSize / 4

// chunkOpen is a chunk's reference count while documents are still added
// to it: more than a chunk can hold, so that acknowledgements cannot bring
// the count to zero before the chunk is sealed.
const chunkOpen = 1 << 30

// docChunk holds encoded documents.
type docChunk struct {
	buf []byte // read and resliced by its encoder only; items hold their own slices
	// refs is chunkOpen minus the acknowledged documents while the chunk
	// is open; sealing it adds the documents it holds minus chunkOpen.
	// Whoever brings it to zero hands the chunk back.
	refs atomic.Int32
	n    int32 // documents added (owned by the encoder holding the chunk)
}

// docEncoder is one encoder of a client, with the chunk it fills.
type docEncoder struct {
	mu      sync.Mutex
	enc     event.Encoder
	ck      *docChunk
	reserve int // room wanted before a document: twice the largest so far, within docReserveMax
}

// maxDocEncoders bounds a client's encoders: one per goroutine publishing
// at the same time (a harvester per file), beyond which they share.
const maxDocEncoders = 4

// docEncoders are a client's encoders, created as concurrent Publish
// calls need them.
type docEncoders struct {
	mu    sync.Mutex // creates encoders
	slots [maxDocEncoders]atomic.Pointer[docEncoder]
}

// get returns a free encoder, locked.
func (d *docEncoders) get() *docEncoder {
	for i := range d.slots {
		e := d.slots[i].Load()
		if e == nil {
			d.mu.Lock()
			if e = d.slots[i].Load(); e == nil {
				e = &docEncoder{reserve: 4 << 10}
				d.slots[i].Store(e)
			}
			d.mu.Unlock()
		}
		if e.mu.TryLock() {
			return e
		}
	}
	e := d.slots[0].Load()
	e.mu.Lock()
	return e
}

// encode writes the document of it.ev and '\n' into a chunk of c's
// encoder and points it at the bytes.
func (p *Pipeline) encode(c *client, it *item) {
	d := c.encs.get()
	ck := d.ck
	if ck == nil || cap(ck.buf)-len(ck.buf) < d.reserve {
		if ck != nil {
			p.sealChunk(ck)
		}
		ck = p.newChunk()
		d.ck = ck
	}
	start := len(ck.buf)
	dst := ck.buf[start:start]
	doc := d.enc.Append(dst, it.ev)
	doc = append(doc, '\n')
	if cap(doc) != cap(dst) {
		// Larger than the room left: the document is in an allocation
		// of its own, a chunk of one, never pooled.
		own := &docChunk{}
		own.refs.Store(1)
		it.ck, it.doc = own, doc[:len(doc):len(doc)]
	} else {
		// The item has its own slice header: the encoder goes on
		// moving ck.buf's length while the output reads the document.
		ck.buf = ck.buf[:start+len(doc)]
		ck.n++
		it.ck, it.doc = ck, doc
	}
	d.reserve = min(max(d.reserve, 2*len(doc)), docReserveMax)
	d.mu.Unlock()
}

// newChunk returns an empty open chunk, reused when one is free.
func (p *Pipeline) newChunk() *docChunk {
	ck, _ := p.chunks.Get().(*docChunk)
	if ck == nil {
		ck = &docChunk{buf: make([]byte, 0, docChunkSize)}
	}
	ck.refs.Store(chunkOpen)
	return ck
}

// sealChunk closes a chunk to further documents.
func (p *Pipeline) sealChunk(ck *docChunk) {
	if ck.refs.Add(ck.n-chunkOpen) == 0 {
		p.freeChunk(ck)
	}
}

// unref counts n documents of ck as acknowledged.
func (p *Pipeline) unref(ck *docChunk, n int32) {
	if ck.refs.Add(-n) == 0 {
		p.freeChunk(ck)
	}
}

// freeChunk hands a chunk whose documents are all acknowledged back to
// the pool (a chunk of one document, without buf, is left to the garbage
// collector).
func (p *Pipeline) freeChunk(ck *docChunk) {
	if cap(ck.buf) != docChunkSize {
		return
	}
	ck.buf, ck.n = ck.buf[:0], 0
	p.chunks.Put(ck)
}

// releaseDocs unreferences the chunks of items' documents, one atomic
// operation per run of items in the same chunk.
func (p *Pipeline) releaseDocs(items []item) {
	var ck *docChunk
	var n int32
	for i := range items {
		if items[i].ck != ck {
			if n > 0 {
				p.unref(ck, n)
			}
			ck, n = items[i].ck, 0
		}
		if ck != nil {
			n++
		}
	}
	if n > 0 {
		p.unref(ck, n)
	}
}
