package adapters

import (
	"fmt"
	"strings"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"

	appquery "helpdesk/services/knowledge/app/query"
)

// ResultCache keeps recent search and suggestion results. People typing a
// ticket title send the same prefixes ("打印", "打印机", "vpn") over and
// over; a cached result is served until either index changes, since every
// committed batch moves the indexes' generation and empties the cache.
type ResultCache struct {
	entries *lru.Cache[string, appquery.Matches]
	gen     atomic.Uint64
	hits    atomic.Uint64
	misses  atomic.Uint64
}

// NewResultCache returns a cache of up to size results.
func NewResultCache(size int) (*ResultCache, error) {
	c, err := lru.New[string, appquery.Matches](size)
	if err != nil {
		return nil, fmt.Errorf("result cache: %w", err)
	}
	return &ResultCache{entries: c}, nil
}

// get returns the cached result of key, valid at generation gen.
func (c *ResultCache) get(key string, gen uint64) (appquery.Matches, bool) {
	if c == nil {
		return appquery.Matches{}, false
	}
	if c.gen.Load() != gen {
		c.entries.Purge()
		c.gen.Store(gen)
	}
	m, ok := c.entries.Get(key)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return m, ok
}

// recheck looks key up again after a miss, once the caller has waited its
// turn to compute: if another caller has put the result meanwhile, the miss
// counts as a hit.
func (c *ResultCache) recheck(key string, gen uint64) (appquery.Matches, bool) {
	if c == nil || c.gen.Load() != gen {
		return appquery.Matches{}, false
	}
	m, ok := c.entries.Get(key)
	if ok {
		c.misses.Add(^uint64(0))
		c.hits.Add(1)
	}
	return m, ok
}

// put keeps a result computed at generation gen.
func (c *ResultCache) put(key string, gen uint64, m appquery.Matches) {
	if c == nil || c.gen.Load() != gen {
		return
	}
	c.entries.Add(key, m)
}

// Stats reports hits and misses so far.
func (c *ResultCache) Stats() (hits, misses uint64) {
	return c.hits.Load(), c.misses.Load()
}

// cacheKey identifies a query of a kind.
func cacheKey(kind string, q appquery.SearchQuery) string {
	return strings.Join([]string{kind, q.Text, strings.Join(q.CategoryIDs, ","), q.Tag,
		fmt.Sprint(q.Limit), fmt.Sprint(q.Offset)}, "\x00")
}
