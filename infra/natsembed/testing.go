package natsembed

import (
	"testing"

	"github.com/nats-io/nats.go"
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
