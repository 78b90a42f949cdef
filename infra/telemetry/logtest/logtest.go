// Package logtest gives tests a sink for logs and child-process output that
// several goroutines may write to while the test reads it.
package logtest

import (
	"bytes"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for concurrent writers and readers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns at most the last n bytes written.
func (b *Buffer) Tail(n int) string {
	s := b.String()
	return s[max(0, len(s)-n):]
}

// ShownOnFailure returns a Buffer whose last 8,000 bytes are logged, under
// what, if the test fails.
func ShownOnFailure(t testing.TB, what string) *Buffer {
	b := &Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last %s:\n%s", what, b.Tail(8000))
		}
	})
	return b
}
