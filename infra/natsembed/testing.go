package natsembed

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StartForTest starts a server on a random loopback port with its store in a
// temporary directory, connects to it, and stops both when the test ends.
func StartForTest(t testing.TB) (*Server, *nats.Conn) {
	t.Helper()
	s, err := Start(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	nc, err := s.Connect()
	if err != nil {
		s.Shutdown()
		t.Fatalf("connect to embedded nats: %v", err)
	}
	t.Cleanup(func() {
		nc.Close()
		s.Shutdown()
	})
	return s, nc
}

// StartClusterForTest starts a cluster of size nodes (see StartCluster)
// with its stores in a temporary directory and shuts it down when the test
// ends.
func StartClusterForTest(t testing.TB, size int) *Cluster {
	t.Helper()
	c, err := StartCluster(ClusterConfig{DataDir: t.TempDir(), Size: size})
	if err != nil {
		t.Fatalf("start embedded nats cluster: %v", err)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// JetStreamForTest connects to every node of the cluster (the client fails
// over between them) and returns the connection's JetStream context; the
// connection closes when the test ends.
func (c *Cluster) JetStreamForTest(t testing.TB) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(strings.Join(c.ClientURLs(), ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("connect to the cluster: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return js
}
