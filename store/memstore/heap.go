package memstore

// recHeap is a binary min-heap of delivery records that keeps each
// record's position in it, so a record can be removed from the middle in
// O(log n) when a transition moves it elsewhere. A record is in at most
// one heap at a time.
type recHeap struct {
	items []*rec
	less  func(a, b *rec) bool
}

func (h *recHeap) len() int { return len(h.items) }

// peek returns the smallest record, or nil when the heap is empty.
func (h *recHeap) peek() *rec {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *recHeap) push(r *rec) {
	r.heap, r.idx = h, len(h.items)
	h.items = append(h.items, r)
	h.up(r.idx)
}

// remove takes r out of h. r must be in h.
func (h *recHeap) remove(r *rec) {
	i, last := r.idx, len(h.items)-1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	r.heap, r.idx = nil, -1
}

// init rebuilds the heap order of items in O(n).
func (h *recHeap) init(items []*rec) {
	h.items = items
	for i, r := range items {
		r.heap, r.idx = h, i
	}
	for i := len(items)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// take empties the heap and returns what it held, in no particular order.
func (h *recHeap) take() []*rec {
	items := h.items
	for _, r := range items {
		r.heap, r.idx = nil, -1
	}
	h.items = nil
	return items
}

func (h *recHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].idx = i
	h.items[j].idx = j
}

func (h *recHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down sifts the item at i towards the leaves and reports whether it moved.
func (h *recHeap) down(i int) bool {
	start, n := i, len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(h.items[r], h.items[l]) {
			m = r
		}
		if !h.less(h.items[m], h.items[i]) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// byDue orders records by due time, then user ID: the order Claim returns.
func byDue(a, b *rec) bool {
	if c := a.d.DueAt.Compare(b.d.DueAt); c != 0 {
		return c < 0
	}
	return a.d.UserID < b.d.UserID
}

// byExpiry orders leased records by lease expiry, then user ID.
func byExpiry(a, b *rec) bool {
	if c := a.d.Lease.Expires.Compare(b.d.Lease.Expires); c != 0 {
		return c < 0
	}
	return a.d.UserID < b.d.UserID
}
