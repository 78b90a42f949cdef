package natsembed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/infra/natsembed"
)

// TestCluster_elects_a_new_stream_leader: three nodes on 127.0.0.1-3 hold
// an R3 stream; stopping its leader leaves two running nodes, one of which
// leads the stream, and publishing goes on through a client that was
// connected to the stopped node.
func TestCluster_elects_a_new_stream_leader(t *testing.T) {
	t.Parallel()
	c := natsembed.StartClusterForTest(t, 3)
	for i, s := range c.Servers {
		if want := "127.0.0." + string(rune('1'+i)); !strings.Contains(s.ClientURL(), want) || !strings.Contains(s.RouteURL(), want) {
			t.Errorf("node %d: client %s, routes %s, want both on %s", i+1, s.ClientURL(), s.RouteURL(), want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js := c.JetStreamForTest(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	leader, err := c.WaitForStreamLeader("R3", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	leader.Shutdown()
	if got := len(c.Running()); got != 2 {
		t.Fatalf("%d nodes running after stopping one, want 2", got)
	}
	next, err := c.WaitForStreamLeader("R3", 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if next == leader {
		t.Fatal("the stopped node still leads the stream")
	}
	if _, err := js.Publish(ctx, "r3.after", []byte("x"), jetstream.WithRetryAttempts(50)); err != nil {
		t.Fatalf("publish after the failover: %v", err)
	}
}
