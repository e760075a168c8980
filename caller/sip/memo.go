package sip

import (
	"errors"
	"sync"

	"github.com/signedcall/signedcall"
)

// memo remembers the idempotency keys of calls placed: every call in
// progress and the last max finished ones.
type memo struct {
	max int

	mu    sync.Mutex
	calls map[string]*entry
	order []string // finished keys, oldest first
}

// entry is one remembered call; outcome and err are set before done is
// closed.
type entry struct {
	done    chan struct{}
	outcome signedcall.Outcome
	err     error
}

// begin returns the entry for key and whether it is new, in which case
// the caller places the call and then calls finish. An empty key is
// never remembered.
func (m *memo) begin(key string) (*entry, bool) {
	e := &entry{done: make(chan struct{})}
	if key == "" {
		return e, true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.calls[key]; ok {
		return old, false
	}
	if m.calls == nil {
		m.calls = map[string]*entry{}
	}
	m.calls[key] = e
	return e, true
}

// finish records the result of e's call. A call not dialled is
// forgotten, so the key may be tried again.
func (m *memo) finish(key string, e *entry, o signedcall.Outcome, err error) {
	e.outcome, e.err = o, err
	if key != "" {
		m.mu.Lock()
		if errors.Is(err, signedcall.ErrNotDialled) {
			delete(m.calls, key)
		} else {
			m.order = append(m.order, key)
			for len(m.order) > m.max {
				delete(m.calls, m.order[0])
				m.order = m.order[1:]
			}
		}
		m.mu.Unlock()
	}
	close(e.done)
}
