// Package pipeline moves events from inputs to the output with at-least-once
// delivery.
//
//	input.Run ──Publish──▶ input processors ─▶ global processors ─▶ queue (bounded; Publish blocks when full)
//	   ▲                                                                 │
//	   │ ACKed(Private…) in publish order                                ▼
//	 state registry ◀── acker ◀── per-item outcome ◀── output worker(s) ◀── batcher (batch size, flush timeout)
//
// The at-least-once story, in full:
//
//   - Publish takes a slot of the queue (queue.mem.events slots in all) and
//     blocks while none is free: back-pressure, never a drop. A slot is freed
//     only when its event reached a final outcome, so the queue bounds
//     everything in flight, including events inside a bulk request. With
//     queue.mem.bytes, Publish also waits while the events holding slots
//     are estimated at the bound or more (queue.go): one event larger than
//     the bound still enters, once the queue has drained below it.
//   - The batcher cuts batches in publish order. Output workers send them;
//     the output marks every item: Ack (indexed), Duplicate (409 on a create
//     with a known _id: a previous attempt succeeded), DeadLetter (rejected
//     for good; written with the reason to the dead-letter file before it is
//     final) or Retry (429, 5xx, transport errors). An error from the output
//     means "retry the whole batch". Retries back off exponentially with
//     jitter and never give up: an event is not final until it is indexed or
//     dead-lettered.
//   - Events a processor dropped on purpose travel through the queue too,
//     already final, so that acknowledgements stay in order.
//   - The acker releases batches strictly in the order they were cut and hands
//     each input the Private values of its events in publish order
//     (inputs.Cursorer). The input advances its cursor in shipper/state,
//     which writes at most once per registry.flush interval and on shutdown.
//   - Only then, when nothing refers to them any more, events that came from
//     an event.Pool (the file inputs' harvesters) go back to it for the next
//     lines: after the acknowledgement, and only with an output and a
//     dead-letter writer that keep no event past Publish (EventsNotRetained);
//     with queue.disk as soon as Publish encoded the event into the queue.
//
// A crash therefore loses nothing: an event whose cursor was committed was
// indexed; anything after the committed cursor is read again on restart, and
// the deterministic document _id (event.Meta.ID) lets Elasticsearch refuse the
// second copy with a 409.
//
// With queue.disk (diskqueue.go, where the segment states are written down),
// "final" for the input means "fsynced into the queue": the input's cursor
// advances once its events are durable on disk, and the queue's own
// acknowledged position (ack.json) advances when they are indexed or
// dead-lettered. A full disk or a write error pauses the inputs (never a
// drop) until the write succeeds again; an event larger than max_size is
// accepted once everything before it is delivered.
//
// The guarantee, exactly: every line an input read and handed to Publish is
// indexed at least once or written to the dead-letter file with its reason,
// across crashes (SIGKILL, power loss after fsync), restarts, reloads and
// outages, provided the registry and the queue directory survive. What it
// does not cover: lines logrotate's copytruncate writes between its copy and
// its truncate (they are in neither file when the shipper looks), lines of a
// file deleted before it was read, and flows dropped by the kernel or a full
// UDP queue (counted, never silent). Duplicates after a crash are bounded by
// what was in flight (at most a batch per output worker plus one registry
// flush interval) and collapse on the _id.
package pipeline
