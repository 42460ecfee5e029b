// Package event defines the document that flows from inputs to outputs.
//
// A document is kept flat while it travels: Fields is a small slice of
// (dotted key, value) pairs, not a tree of maps. Inputs and processors set
// ECS names such as "source.ip" directly; the encoder sorts the keys once and
// writes the nested JSON object Elasticsearch expects. For the 20–40 fields of
// a log line this is several times cheaper than a map[string]any tree and it
// makes the output byte-for-byte deterministic.
package event

import (
	"time"
)

// Event is one document. Fields is the ECS-shaped body; Meta only steers the
// output and is never written into the document.
type Event struct {
	Timestamp time.Time // written as @timestamp
	Fields    Fields
	Meta      Meta
	// Private is the input's cursor (e.g. a file offset), handed back to the
	// input when the event reached a final outcome; never serialized.
	Private any

	pool *Pool // where Release returns it; nil: not recycled
}

// Meta steers the output for one event.
type Meta struct {
	Index    string // overrides the output's index
	Pipeline string // Elasticsearch ingest pipeline
	// ID is a deterministic document _id, so that a retried bulk item or a
	// re-read line after a crash cannot create a second document.
	ID string
	// IDFrom renders the _id when ID is empty: an input whose _id costs a
	// hash of the line (filestream) defers it to the outputs that write
	// one, and output.file never pays it (issue 17). Read the _id with
	// DocID, set it with SetID.
	IDFrom IDSource
}

// IDSource renders a document _id on demand. It must return the same _id
// on every call and be safe to call from any goroutine.
type IDSource interface {
	DocID() string
}

// DocID returns the document _id: ID, else what IDFrom renders, else "".
func (m *Meta) DocID() string {
	if m.ID == "" && m.IDFrom != nil {
		return m.IDFrom.DocID()
	}
	return m.ID
}

// SetID sets the document _id, replacing one rendered on demand ("" : none).
func (m *Meta) SetID(id string) { m.ID, m.IDFrom = id, nil }

// New returns an event stamped ts with room for n fields.
func New(ts time.Time, n int) *Event {
	return &Event{Timestamp: ts, Fields: make(Fields, 0, n)}
}

// Tag appends tag to the event's "tags" list unless it is already there.
// As Beats' AddTags, it appends to a []string or a []any (a decoded JSON
// list), never in place (the list may be shared), and leaves a "tags"
// that is not a list (text, an object) as it is: the event's own value
// is never replaced.
func (e *Event) Tag(tag string) {
	v, ok := e.Fields.Get("tags")
	switch tags := v.(type) {
	case []string:
		for _, t := range tags {
			if t == tag {
				return
			}
		}
		e.Fields.Put("tags", append(tags[:len(tags):len(tags)], tag))
	case []any:
		for _, t := range tags {
			if s, isStr := t.(string); isStr && s == tag {
				return
			}
		}
		e.Fields.Put("tags", append(tags[:len(tags):len(tags)], tag))
	default:
		if !ok && !e.hasBelow("tags") {
			e.Fields.Put("tags", []string{tag})
		}
	}
}

// hasBelow reports whether a key below key ("tags.env") is set.
func (e *Event) hasBelow(key string) bool {
	for i := range e.Fields {
		k := e.Fields[i].Key
		if len(k) > len(key) && k[len(key)] == '.' && k[:len(key)] == key {
			return true
		}
	}
	return false
}

// HasTag reports whether tag is in the event's "tags".
func (e *Event) HasTag(tag string) bool {
	v, _ := e.Fields.Get("tags")
	switch tags := v.(type) {
	case []string:
		for _, t := range tags {
			if t == tag {
				return true
			}
		}
	case []any:
		for _, t := range tags {
			if s, isStr := t.(string); isStr && s == tag {
				return true
			}
		}
	}
	return false
}

// Clone returns a deep-enough copy: the field slice is copied so that
// processors on the copy cannot change the original; values are shared
// (they are treated as immutable once put).
func (e *Event) Clone() *Event {
	c := *e
	c.Fields = append(Fields(nil), e.Fields...)
	c.pool = nil // the copy is not the pool's
	return &c
}
