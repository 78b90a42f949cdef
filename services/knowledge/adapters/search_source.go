package adapters

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// source is an index opened for one search or suggestion: a snapshot, its
// tables, the documents that pass the search's filters, and the words'
// postings and prefixes' words read so far, which every stage of
// firstEnough reads again.
type source struct {
	idx    *SearchIndex
	bleve  bleve.Index
	snap   *scorch.IndexSnapshot
	tables *snapshotTables
	pass   passed

	words    map[[2]string]termPostings // by field and word
	prefixes map[[2]string][]string     // by field and prefix
}

// openSource opens a snapshot of index idx (whose bleve index is b) for
// one search with filters; close it after use.
func openSource(ctx context.Context, idx *SearchIndex, b bleve.Index, filters []keywordFilter) (*source, error) {
	snap, err := reader(b)
	if err != nil {
		return nil, err
	}
	in := &source{idx: idx, bleve: b, snap: snap,
		words: map[[2]string]termPostings{}, prefixes: map[[2]string][]string{}}
	if in.tables, err = idx.tables.get(ctx, snap); err == nil {
		in.pass, err = passing(ctx, snap, filters)
	}
	if err != nil {
		_ = snap.Close()
		return nil, err
	}
	return in, nil
}

// Close releases the snapshot.
func (in *source) Close() error { return in.snap.Close() }

// collect collects the matches of a stage of firstEnough that pass, the
// keep best kept: by collectByPostings when the stage scoresItself, by
// collect otherwise.
func (in *source) collect(ctx context.Context, st stage, fields []field, keep int) (collected, error) {
	if st.scoresItself() {
		return collectByPostings(ctx, in, st, fields, keep)
	}
	return collect(ctx, in.snap, in.bleve.Mapping(), st.text, in.pass, keep, in.tables)
}

// load returns the id and document of match number n.
func (in *source) load(n index.IndexInternalID) (string, *SearchDoc, error) {
	return in.idx.docs.load(in.snap, in.tables, n)
}

// postings returns a word's postings in a field, read once per source.
func (in *source) postings(field, word string) (termPostings, error) {
	key := [2]string{field, word}
	if p, ok := in.words[key]; ok {
		return p, nil
	}
	p, err := in.idx.postings.postings(in.snap, in.tables, field, word)
	if err == nil {
		in.words[key] = p
	}
	return p, err
}

// startingWith lists the words of a field that start with prefix, read
// once per source.
func (in *source) startingWith(field, prefix string) ([]string, error) {
	key := [2]string{field, prefix}
	if ws, ok := in.prefixes[key]; ok {
		return ws, nil
	}
	ws, err := startingWith(in.snap, field, prefix, 0)
	if err == nil {
		in.prefixes[key] = ws
	}
	return ws, err
}
