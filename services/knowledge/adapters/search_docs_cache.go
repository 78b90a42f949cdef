package adapters

import (
	"fmt"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	lru "github.com/hashicorp/golang-lru/v2"
)

// docCache keeps the ids and decoded documents that searches return, by
// segment and number in the segment: a segment's documents never change,
// and loading one (a lookup of its id, decompressing its stored fields,
// decoding its JSON) cost a third of a suggestion. The zero value is
// ready to use.
type docCache struct {
	once    sync.Once
	entries *lru.Cache[docKey, cachedDoc]
}

// cachedDocs is how many documents a docCache keeps: about 15 MB.
const cachedDocs = 10_000

type docKey struct {
	seg segment.Segment
	num uint64
}

type cachedDoc struct {
	id  string
	doc *SearchDoc
}

// load returns the id and document of number n of snapshot snap, whose
// tables are given.
func (c *docCache) load(snap *scorch.IndexSnapshot, tables *snapshotTables, n index.IndexInternalID) (string, *SearchDoc, error) {
	c.once.Do(func() { c.entries, _ = lru.New[docKey, cachedDoc](cachedDocs) })
	num := int(n.Value())
	i := sort.Search(len(tables.offsets), func(i int) bool { return tables.offsets[i] > num }) - 1
	if i < 0 || i >= len(snap.Segments()) {
		return "", nil, fmt.Errorf("document number %d is in no segment", num)
	}
	key := docKey{snap.Segments()[i].Segment(), uint64(num - tables.offsets[i])}
	if d, ok := c.entries.Get(key); ok {
		return d.id, d.doc, nil
	}
	id, err := snap.ExternalID(n)
	if err != nil {
		return "", nil, fmt.Errorf("document %d: %w", n.Value(), err)
	}
	doc, err := loadDoc(snap, id)
	if err != nil {
		return "", nil, err
	}
	if doc == nil {
		return "", nil, fmt.Errorf("document %s is gone", id)
	}
	c.entries.Add(key, cachedDoc{id, doc})
	return id, doc, nil
}
