package adapters

import (
	"container/list"
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// postingsCache keeps the decoded postings of common terms, per segment of
// an index. A segment never changes (deletions are kept beside it), so a
// decoded list stays right for as long as the segment is in use; the least
// recently used lists give way when they exceed the budget. Decoding a
// posting through bleve costs about 50 ns; reading a decoded one, a few.
// The zero value is ready to use.
type postingsCache struct {
	budget  int // bytes; 0 means postingsBudget
	mu      sync.Mutex
	used    int        // bytes
	order   *list.List // of *decodedPostings, the most recently used first
	entries map[postingsKey]*list.Element
	// latest is the latest snapshot searched: lists of segments it no
	// longer has (merged, or of an index reset) are dropped when it changes.
	latest *scorch.IndexSnapshot
}

// postingsBudget bounds the memory of a postingsCache: 64 MiB is the
// postings of about 5 million term occurrences, all of the common ones of
// 100,000 articles.
const postingsBudget = 64 << 20

// cachedPostings is the shortest list a postingsCache keeps: shorter ones
// are decoded at each search, for little.
const cachedPostings = 256

type postingsKey struct {
	seg         segment.Segment
	field, term string
}

// decodedPostings are one term's postings in one field of one segment:
// the documents' numbers in the segment and, for each, sqrt(frequency)·norm
// (the part of a tf-idf score that depends on the document).
type decodedPostings struct {
	key    postingsKey
	docs   []uint32
	tfNorm []float64
}

func (p *decodedPostings) size() int { return 12*len(p.docs) + 64 }

// termPostings are a word's postings in a field, in every segment of one
// snapshot.
type termPostings struct {
	lists []*decodedPostings // per segment, in the snapshot's order
	// live counts the postings of documents not deleted: the word's
	// document count, as bleve counts it for idf.
	live uint64
}

// postings returns the postings of term in field in snapshot snap.
func (c *postingsCache) postings(snap *scorch.IndexSnapshot, tables *snapshotTables, field, term string) (termPostings, error) {
	c.follow(snap)
	var out termPostings
	for i, ss := range snap.Segments() {
		p, err := c.get(ss.Segment(), field, term)
		if err != nil {
			return termPostings{}, err
		}
		out.lists = append(out.lists, p)
		if len(tables.deleted) == 0 {
			out.live += uint64(len(p.docs))
			continue
		}
		for _, n := range p.docs {
			if !tables.isDeleted(tables.offsets[i] + int(n)) {
				out.live++
			}
		}
	}
	return out, nil
}

// each calls posting with the number and sqrt(frequency)·norm of every
// live document (that want, if not nil, wants), in document order.
func (p termPostings) each(ctx context.Context, tables *snapshotTables, want func(d int) bool, posting func(d int, tfNorm float64)) error {
	for i, list := range p.lists {
		if err := ctx.Err(); err != nil {
			return err
		}
		offset := tables.offsets[i]
		for j, n := range list.docs {
			d := offset + int(n)
			if tables.isDeleted(d) || (want != nil && !want(d)) {
				continue
			}
			posting(d, list.tfNorm[j])
		}
	}
	return nil
}

// follow drops the lists of segments that snap, when it is a new
// snapshot, no longer has.
func (c *postingsCache) follow(snap *scorch.IndexSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.latest == snap {
		return
	}
	c.latest = snap
	live := map[segment.Segment]bool{}
	for _, ss := range snap.Segments() {
		live[ss.Segment()] = true
	}
	for key, e := range c.entries {
		if !live[key.seg] {
			c.remove(e)
		}
	}
}

// remove drops a list; c.mu is held.
func (c *postingsCache) remove(e *list.Element) {
	p := c.order.Remove(e).(*decodedPostings)
	delete(c.entries, p.key)
	c.used -= p.size()
}

// get returns the postings of term in field of seg, decoding them unless
// they are kept.
func (c *postingsCache) get(seg segment.Segment, field, term string) (*decodedPostings, error) {
	key := postingsKey{seg, field, term}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*decodedPostings), nil
	}
	c.mu.Unlock()
	p, err := decode(key)
	if err != nil || len(p.docs) < cachedPostings {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries, c.order = map[postingsKey]*list.Element{}, list.New()
	}
	if _, ok := c.entries[key]; !ok {
		c.entries[key] = c.order.PushFront(p)
		c.used += p.size()
	}
	budget := c.budget
	if budget == 0 {
		budget = postingsBudget
	}
	for c.used > budget {
		c.remove(c.order.Back())
	}
	return p, nil
}

// decode reads the postings of a term in a field of a segment, deleted
// documents included.
func decode(key postingsKey) (*decodedPostings, error) {
	out := &decodedPostings{key: key}
	dict, err := key.seg.Dictionary(key.field)
	if err != nil {
		return nil, fmt.Errorf("postings of %s:%q: %w", key.field, key.term, err)
	}
	pl, err := dict.PostingsList([]byte(key.term), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("postings of %s:%q: %w", key.field, key.term, err)
	}
	if pl == nil {
		return out, nil
	}
	n := pl.Count()
	out.docs, out.tfNorm = make([]uint32, 0, n), make([]float64, 0, n)
	it := pl.Iterator(true, true, false, nil)
	for {
		p, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("postings of %s:%q: %w", key.field, key.term, err)
		}
		if p == nil {
			return out, nil
		}
		out.docs = append(out.docs, uint32(p.Number()))
		out.tfNorm = append(out.tfNorm, math.Sqrt(float64(p.Frequency()))*p.Norm())
	}
}
