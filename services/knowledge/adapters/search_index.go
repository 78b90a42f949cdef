package adapters

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"helpdesk/contracts/events"
	"helpdesk/contracts/kbapi"
	"helpdesk/infra/projection"
)

// SearchDoc is what a search index holds of one article or question. The
// whole document is also stored, as JSON, so that an event that changes
// only part of it (a status, say) can be applied without other reads.
type SearchDoc struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// CategoryID is an article's category; CategoryName a question's,
	// as the ticket named it.
	CategoryID   string    `json:"category_id"`
	CategoryName string    `json:"category_name"`
	Tags         []string  `json:"tags"`
	Status       string    `json:"status"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Src is the document itself as JSON, stored and not indexed.
	Src string `json:"_src,omitempty"`
}

// Searchable tells whether readers may find the document: a published
// article or an answered question.
func (d *SearchDoc) Searchable() bool {
	return (d.Kind == kbapi.KindArticle && d.Status == kbapi.StatusPublished) ||
		(d.Kind == kbapi.KindQuestion && d.Status == QuestionAnswered)
}

// indexedDoc is what bleve indexes of a document: its text and keywords
// only while it is searchable, and its source always. Queries therefore
// need no status filter, whose postings would span the whole index.
type indexedDoc struct {
	Title        string    `json:"title,omitempty"`
	Body         string    `json:"body,omitempty"`
	CategoryID   string    `json:"category_id,omitempty"`
	CategoryName string    `json:"category_name,omitempty"`
	Tags         []string  `json:"tags,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
	Src          string    `json:"_src"`
}

func (d *SearchDoc) indexed() indexedDoc {
	if !d.Searchable() {
		return indexedDoc{UpdatedAt: d.UpdatedAt, Src: d.Src}
	}
	return indexedDoc{
		Title: d.Title, Body: d.Body, CategoryID: d.CategoryID, CategoryName: d.CategoryName,
		Tags: d.Tags, UpdatedAt: d.UpdatedAt, Src: d.Src,
	}
}

// Mapper turns one event into the new state of the document it changes.
// current returns a document as it is so far (nil when there is none). A
// nil doc means the event changes no document.
type Mapper func(ctx context.Context, env events.Envelope, current func(id string) (*SearchDoc, error)) (id string, doc *SearchDoc, err error)

// SearchIndex is a bleve index kept as a projection (it implements
// projection.Target): its position is stored in the index's internal
// storage in the same batch as the documents, so after a crash the index
// and its position agree. Chinese and English text is analysed with
// bleve's CJK analyzer (Unicode word breaking, width folding, lower case,
// and overlapping bigrams of Chinese characters).
//
// While it is rebuilt (from Reset until Compact) a large batch is written
// in the background: Commit hands it over and returns, and the next batch
// is read and mapped while this one is analysed and written. The position
// may then run one batch ahead of what queries see, as the index fills up
// anyway; Compact waits for the last batch, and a batch that fails stops
// every later Commit with the error until the next Reset (the index keeps
// the position of its last written batch, so a restart resumes from
// there).
type SearchIndex struct {
	name   string
	stream string
	dir    string // "" for an index in memory
	mapper Mapper
	types  []string

	mu     sync.RWMutex
	idx    bleve.Index
	gen    string
	closed bool
	// changes counts committed batches and resets, for result caches.
	changes atomic.Uint64
	// stored is the last position written to the index.
	stored atomic.Uint64
	// tables tells each document's category, for the search's facet, and
	// where each segment's documents are numbered.
	tables tablesCache
	// postings keeps decoded postings of common terms for searches.
	postings postingsCache
	// docs keeps the documents searches return.
	docs docCache
	// react, if set, acts on each event once (see SetReaction); reacted
	// is the position it has acted up to, kept across resets.
	react   func(context.Context, events.Envelope) error
	reacted atomic.Uint64

	// rebuilding is set from Reset until Compact: large batches are then
	// written in the background, one at a time (see writeBehindMin).
	rebuilding atomic.Bool
	flightMu   sync.Mutex
	flight     *inFlight // the batch written last or being written; nil when settled
	flightErr  error     // the error of a batch written in the background, until Reset
}

// inFlight is a batch written in the background: docs is not changed after
// it is handed over, and done closes once it is written or has failed.
type inFlight struct {
	docs map[string]*SearchDoc
	done chan struct{}
}

// writeBehindMin is the fewest documents a batch of a rebuild must change
// to be written in the background: the batches of a replay are large,
// those of live events after it small, and these are written before
// Commit returns, as outside a rebuild.
const writeBehindMin = 256

var reactedKey = []byte("helpdesk.reacted")

// SetReaction makes the index act on each event it applies, once, before
// the batch commits: fn runs at least once for every event after the
// position it has reacted up to, which the index stores with each batch
// and keeps through resets, so that a rebuild replays the index but not
// the reaction. fn must be idempotent (it may run again after a crash
// before the commit). Call it before the projection runs.
func (s *SearchIndex) SetReaction(fn func(context.Context, events.Envelope) error) error {
	s.react = fn
	return s.Index(func(idx bleve.Index) error {
		v, err := idx.GetInternal(reactedKey)
		if err != nil {
			return fmt.Errorf("search index %s: %w", s.name, err)
		}
		if len(v) == 8 {
			s.reacted.Store(binary.BigEndian.Uint64(v))
		}
		return nil
	})
}

// positionEvery is how far the position may run ahead of the stored one
// through batches that change no document (ticket replies, say, in the
// questions index) before it is written anyway. After a restart those
// events are read again and change nothing again.
const positionEvery = 10000

// Changes counts the batches committed and resets done since opening.
func (s *SearchIndex) Changes() uint64 { return s.changes.Load() }

var positionKey = []byte("helpdesk.position")

// Analyzer is the analyzer of every text field.
const Analyzer = cjk.AnalyzerName

// OpenSearchIndex opens (or creates) the index of the projection name under
// dir; an empty dir keeps it in memory, to be rebuilt on every start.
// types, when given, are the only event types the mapper needs (see
// projection.Selective).
func OpenSearchIndex(name, stream, dir string, mapper Mapper, types ...string) (*SearchIndex, error) {
	s := &SearchIndex{name: name, stream: stream, dir: dir, mapper: mapper, types: types}
	if dir == "" {
		idx, err := newMemIndex()
		if err != nil {
			return nil, fmt.Errorf("search index %s: %w", name, err)
		}
		s.idx = idx
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("search index %s: %w", name, err)
	}
	gens, err := s.generations()
	if err != nil {
		return nil, err
	}
	if len(gens) == 0 {
		return s, s.create()
	}
	s.gen = gens[len(gens)-1]
	if s.idx, err = bleve.Open(filepath.Join(dir, s.gen)); err != nil {
		return nil, fmt.Errorf("search index %s: open %s: %w", name, s.gen, err)
	}
	// An older generation is left over when a crash came after a reset.
	for _, g := range gens[:len(gens)-1] {
		_ = os.RemoveAll(filepath.Join(dir, g))
	}
	return s, nil
}

// generations lists the index directories of this projection, oldest first.
// A reset starts a new, empty generation and then removes the old one, so a
// crash in between leaves the newest generation to open (and an old one to
// delete), never a half-deleted index. Queries use the new generation at
// once: during a rebuild they see it fill up.
func (s *SearchIndex) generations() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("search index %s: %w", s.name, err)
	}
	var gens []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), s.name+".") {
			gens = append(gens, e.Name())
		}
	}
	slices.SortFunc(gens, func(a, b string) int { return compareGen(a, b) })
	return gens, nil
}

func compareGen(a, b string) int {
	na, _ := strconv.ParseInt(a[strings.LastIndexByte(a, '.')+1:], 10, 64)
	nb, _ := strconv.ParseInt(b[strings.LastIndexByte(b, '.')+1:], 10, 64)
	return int(na - nb)
}

// create starts a new generation and makes it the current index.
func (s *SearchIndex) create() error {
	gen := fmt.Sprintf("%s.%d", s.name, time.Now().UnixNano())
	idx, err := bleve.New(filepath.Join(s.dir, gen), searchMapping())
	if err != nil {
		return fmt.Errorf("search index %s: create: %w", s.name, err)
	}
	s.mu.Lock()
	old, oldGen := s.idx, s.gen
	s.idx, s.gen = idx, gen
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
		_ = os.RemoveAll(filepath.Join(s.dir, oldGen))
	}
	return nil
}

// newMemIndex makes an index in memory with scorch, the index type of the
// files too (bleve.NewMemOnly would use the older, far slower upsidedown).
func newMemIndex() (bleve.Index, error) {
	return bleve.NewUsing("", searchMapping(), scorch.Name, scorch.Name, nil)
}

// searchMapping indexes title and body as text, categories and tags as
// keywords, and stores only the JSON source. No field keeps doc values: no
// query sorts by a field, and the search counts categories itself (see
// collect); they would double the work of indexing.
func searchMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Analyzer, text.Store, text.IncludeInAll, text.IncludeTermVectors, text.DocValues = Analyzer, false, false, false, false
	keyword := bleve.NewKeywordFieldMapping()
	keyword.Store, keyword.IncludeInAll, keyword.IncludeTermVectors, keyword.DocValues = false, false, false, false
	date := bleve.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll, date.DocValues = false, false, false
	src := bleve.NewTextFieldMapping()
	src.Index, src.Store, src.IncludeInAll, src.IncludeTermVectors, src.DocValues = false, true, false, false, false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title", text)
	doc.AddFieldMappingsAt("body", text)
	for _, f := range []string{categoryField, "category_name", "tags"} {
		doc.AddFieldMappingsAt(f, keyword)
	}
	doc.AddFieldMappingsAt("updated_at", date)
	doc.AddFieldMappingsAt("_src", src)

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = Analyzer
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// Name is the projection's name.
func (s *SearchIndex) Name() string { return s.name }

// EventTypes implements projection.Selective; nil means every type.
func (s *SearchIndex) EventTypes() []string { return s.types }

// Stream is the stream the index is built from.
func (s *SearchIndex) Stream() string { return s.stream }

// Index runs fn with the current index; a reset waits until fn returns.
func (s *SearchIndex) Index(fn func(bleve.Index) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.idx)
}

// Position is the stream sequence stored with the index.
func (s *SearchIndex) Position(context.Context) (uint64, error) {
	var pos uint64
	err := s.Index(func(idx bleve.Index) error {
		v, err := idx.GetInternal(positionKey)
		if err != nil {
			return fmt.Errorf("search index %s position: %w", s.name, err)
		}
		if len(v) == 8 {
			pos = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	s.stored.Store(pos)
	return pos, err
}

// Reset replaces the index with an empty one; the position the reaction
// has reached carries over.
func (s *SearchIndex) Reset(context.Context) error {
	defer s.changes.Add(1)
	_ = s.settle() // the old generation's last batch: its error no longer matters
	s.flightMu.Lock()
	s.flightErr = nil
	s.flightMu.Unlock()
	s.stored.Store(0)
	if s.dir == "" {
		idx, err := newMemIndex()
		if err != nil {
			return fmt.Errorf("search index %s: %w", s.name, err)
		}
		s.mu.Lock()
		old := s.idx
		s.idx = idx
		s.mu.Unlock()
		if err := old.Close(); err != nil {
			return err
		}
	} else if err := s.create(); err != nil {
		return err
	}
	s.rebuilding.Store(true)
	return s.Index(func(idx bleve.Index) error {
		return idx.SetInternal(reactedKey, uint64Bytes(s.reacted.Load()))
	})
}

func uint64Bytes(n uint64) []byte {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, n)
	return v
}

// Compact ends a rebuild (projection.Compactor): it waits until the last
// batch is written and merges the index's segments into one: a replay
// leaves dozens, and every query visits each. An index in memory has no
// merger and is left as it is.
func (s *SearchIndex) Compact(ctx context.Context) error {
	s.rebuilding.Store(false)
	if err := s.settle(); err != nil {
		return err
	}
	if s.dir == "" {
		return nil
	}
	return s.Index(func(idx bleve.Index) error {
		adv, err := idx.Advanced()
		if err != nil {
			return fmt.Errorf("search index %s: %w", s.name, err)
		}
		sc, ok := adv.(*scorch.Scorch)
		if !ok {
			return nil
		}
		// One forced merge takes ten segments at most into each of its
		// merges; a replay may leave more.
		for range 4 {
			if err := sc.ForceMerge(ctx, nil); err != nil {
				return fmt.Errorf("search index %s: merge: %w", s.name, err)
			}
			if s.segments(idx) <= 1 {
				break
			}
		}
		return nil
	})
}

// Segments is the number of segments the index's queries visit.
func (s *SearchIndex) Segments() int {
	n := 0
	_ = s.Index(func(idx bleve.Index) error {
		n = s.segments(idx)
		return nil
	})
	return n
}

func (s *SearchIndex) segments(idx bleve.Index) int {
	n := 0
	if m, ok := idx.StatsMap()["index"].(map[string]any); ok {
		for _, k := range []string{"num_root_filesegments", "num_root_memorysegments"} {
			if v, ok := m[k].(uint64); ok {
				n += int(v)
			}
		}
	}
	return n
}

// Close closes the index, once a batch being written has been; its files
// stay. Closing twice is harmless.
func (s *SearchIndex) Close() error {
	_ = s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.idx.Close()
}

// Size reports the bytes of the index's files (0 in memory).
func (s *SearchIndex) Size() (int64, error) {
	if s.dir == "" {
		return 0, nil
	}
	s.mu.RLock()
	dir := filepath.Join(s.dir, s.gen)
	s.mu.RUnlock()
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			size += info.Size()
		}
		return nil
	})
	return size, err
}

// Begin starts a batch.
func (s *SearchIndex) Begin(context.Context) (projection.Batch, error) {
	return &searchBatch{s: s, docs: map[string]*SearchDoc{}}, nil
}

// settle waits for the batch being written in the background, if any, and
// returns the error of the first batch since Reset that could not be.
func (s *SearchIndex) settle() error {
	s.flightMu.Lock()
	f := s.flight
	s.flightMu.Unlock()
	if f != nil {
		<-f.done
	}
	s.flightMu.Lock()
	defer s.flightMu.Unlock()
	if s.flight == f {
		s.flight = nil
	}
	return s.flightErr
}

// flying returns a document of the batch written in the background, which
// the index may not show yet.
func (s *SearchIndex) flying(id string) (*SearchDoc, bool) {
	s.flightMu.Lock()
	f := s.flight
	s.flightMu.Unlock()
	if f == nil {
		return nil, false
	}
	d, ok := f.docs[id]
	return d, ok
}

// Doc returns a stored document, or nil when the index has none.
func (s *SearchIndex) Doc(id string) (*SearchDoc, error) {
	var doc *SearchDoc
	err := s.Index(func(idx bleve.Index) error {
		var err error
		doc, err = loadDoc(idx, id)
		return err
	})
	return doc, err
}

// documents is what loadDoc reads from: an index or one of its snapshots.
type documents interface {
	Document(id string) (index.Document, error)
}

func loadDoc(idx documents, id string) (*SearchDoc, error) {
	d, err := idx.Document(id)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", id, err)
	}
	if d == nil {
		return nil, nil
	}
	var src []byte
	d.VisitFields(func(f index.Field) {
		if f.Name() == "_src" {
			src = f.Value()
		}
	})
	return decodeSrc(id, src)
}

func decodeSrc(id string, src []byte) (*SearchDoc, error) {
	if src == nil {
		return nil, fmt.Errorf("document %s has no source", id)
	}
	var doc SearchDoc
	if err := json.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("document %s: %w", id, err)
	}
	return &doc, nil
}

// searchBatch collects the documents one batch changes, which later events
// of the same batch must see; Commit maps each to bleve once.
type searchBatch struct {
	s       *SearchIndex
	docs    map[string]*SearchDoc
	reacted uint64 // the last event reacted to in this batch
}

func (b *searchBatch) current(id string) (*SearchDoc, error) {
	d, ok := b.docs[id]
	if !ok {
		d, ok = b.s.flying(id)
	}
	if ok {
		c := *d
		return &c, nil
	}
	return b.s.Doc(id)
}

func (b *searchBatch) Apply(ctx context.Context, env events.Envelope) error {
	if b.s.react != nil && env.AggregateVersion > b.s.reacted.Load() {
		if err := b.s.react(ctx, env); err != nil {
			return err
		}
		b.reacted = env.AggregateVersion
	}
	id, doc, err := b.s.mapper(ctx, env, b.current)
	if err != nil || doc == nil {
		return err
	}
	doc.Src = "" // the source is the rest of the document, made on writing
	b.docs[id] = doc
	return nil
}

// Commit writes the batch before it returns, or, during a rebuild, hands a
// large one over to be written in the background while the next is read
// (see SearchIndex).
func (b *searchBatch) Commit(_ context.Context, position uint64) error {
	if len(b.docs) == 0 && b.reacted == 0 && position-b.s.stored.Load() < positionEvery {
		return nil // nothing to index; the position is written later
	}
	if err := b.s.settle(); err != nil {
		return err
	}
	docs := b.docs
	b.docs = nil
	if !b.s.rebuilding.Load() || len(docs) < writeBehindMin {
		return b.write(docs, position, 1)
	}
	f := &inFlight{docs: docs, done: make(chan struct{})}
	b.s.flightMu.Lock()
	b.s.flight = f
	b.s.flightMu.Unlock()
	go func() {
		defer close(f.done)
		if err := b.write(docs, position, writeParts); err != nil {
			b.s.flightMu.Lock()
			if b.s.flightErr == nil {
				b.s.flightErr = err
			}
			b.s.flightMu.Unlock()
		}
	}()
	return nil
}

// writeParts is how many bleve batches a batch written in the background
// is split into, by document, and written at the same time: scorch
// analyses a batch on every core but builds its segment on one.
const writeParts = 2

// write indexes docs, each with its source, and the position (and how far
// the reaction got). In one part the position is written in the same
// bleve batch as the documents; in several, after them, so that after a
// crash the index may hold documents of events after its position, and
// replays those events onto them, which changes nothing: the mappers set
// what an event says, whatever was there.
func (b *searchBatch) write(docs map[string]*SearchDoc, position uint64, parts int) error {
	return b.s.Index(func(idx bleve.Index) error {
		if err := b.writeTo(idx, docs, position, parts); err != nil {
			return fmt.Errorf("search index %s: %w", b.s.name, err)
		}
		b.s.changes.Add(1)
		b.s.stored.Store(position)
		if b.reacted > b.s.reacted.Load() {
			b.s.reacted.Store(b.reacted)
		}
		return nil
	})
}

func (b *searchBatch) writeTo(idx bleve.Index, docs map[string]*SearchDoc, position uint64, parts int) error {
	ids := make([][]string, max(parts, 1))
	n := 0
	for id := range docs {
		ids[n%len(ids)] = append(ids[n%len(ids)], id)
		n++
	}
	mark := func(batch *bleve.Batch) *bleve.Batch {
		batch.SetInternal(positionKey, uint64Bytes(position))
		if b.reacted > 0 {
			batch.SetInternal(reactedKey, uint64Bytes(b.reacted))
		}
		return batch
	}
	if len(ids) == 1 {
		batch, err := bleveBatch(idx, docs, ids[0])
		if err != nil {
			return err
		}
		return idx.Batch(mark(batch))
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for p := range ids {
		wg.Go(func() {
			batch, err := bleveBatch(idx, docs, ids[p])
			if err == nil {
				err = idx.Batch(batch)
			}
			errs[p] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return idx.Batch(mark(idx.NewBatch()))
}

// bleveBatch maps the documents ids of docs, each with its source.
func bleveBatch(idx bleve.Index, docs map[string]*SearchDoc, ids []string) (*bleve.Batch, error) {
	batch := idx.NewBatch()
	for _, id := range ids {
		doc := docs[id]
		src, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("document %s: %w", id, err)
		}
		d := *doc
		d.Src = string(src)
		if err := batch.Index(id, d.indexed()); err != nil {
			return nil, fmt.Errorf("document %s: %w", id, err)
		}
	}
	return batch, nil
}

// Discard drops the batch's documents; after Commit it does nothing.
func (b *searchBatch) Discard() { b.docs = nil }
