package natsembed

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// globalAccount is the account of clients on a server without accounts.
const globalAccount = "$G"

// Cluster is a NATS cluster of in-process servers with clustered
// JetStream, for tests of replicated streams and of failover. Its methods
// are safe to call while clients use the servers, but not concurrently with
// each other.
type Cluster struct {
	// Servers are the nodes, in the order of their names <name>-1, <name>-2, ….
	Servers []*Server
}

// ClusterConfig configures StartCluster.
type ClusterConfig struct {
	// DataDir holds each node's JetStream store, in DataDir/<node name>.
	DataDir string
	// Size is the number of nodes; default 3.
	Size int
	// Name names the cluster and prefixes the node names; default "helpdesk".
	Name string
	// ReadyTimeout bounds the wait for the JetStream meta leader; default 30s.
	ReadyTimeout time.Duration
}

// StartCluster starts cfg.Size servers forming one cluster: node i listens
// for clients and routes on loopback address 127.0.0.i, client ports are
// chosen by the operating system and route ports are free ports found just
// before the start (should another process take one in between, the start
// is tried again, at most three times). Every node routes to every other
// one. StartCluster returns when JetStream has a meta leader that knows
// every node.
func StartCluster(cfg ClusterConfig) (*Cluster, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded nats cluster: DataDir is required")
	}
	if cfg.Size == 0 {
		cfg.Size = 3
	}
	if cfg.Size < 1 || cfg.Size > 9 {
		return nil, fmt.Errorf("embedded nats cluster: size %d, want 1 to 9", cfg.Size)
	}
	if cfg.Name == "" {
		cfg.Name = "helpdesk"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	var errs []error
	for attempt := 1; attempt <= 3; attempt++ {
		c, err := startCluster(cfg, attempt)
		if err == nil {
			return c, nil
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	return nil, fmt.Errorf("embedded nats cluster: %w", errors.Join(errs...))
}

func startCluster(cfg ClusterConfig, attempt int) (*Cluster, error) {
	hosts := make([]string, cfg.Size)
	routes := make([]string, cfg.Size)
	for i := range hosts {
		hosts[i] = "127.0.0." + strconv.Itoa(i+1)
		port, err := freePort(hosts[i])
		if err != nil {
			return nil, err
		}
		routes[i] = "nats-route://" + net.JoinHostPort(hosts[i], strconv.Itoa(port))
	}
	c := &Cluster{}
	for i, host := range hosts {
		name := fmt.Sprintf("%s-%d", cfg.Name, i+1)
		var others []string
		for j, r := range routes {
			if j != i {
				others = append(others, r)
			}
		}
		s, err := Start(Config{
			DataDir:    filepath.Join(cfg.DataDir, fmt.Sprintf("attempt-%d", attempt), name),
			Listen:     net.JoinHostPort(host, "-1"),
			ServerName: name,
			Cluster: ClusterNode{
				Name:   cfg.Name,
				Listen: strings.TrimPrefix(routes[i], "nats-route://"),
				Routes: others,
			},
		})
		if err != nil {
			c.Shutdown()
			return nil, err
		}
		c.Servers = append(c.Servers, s)
	}
	if err := c.waitReady(cfg.ReadyTimeout); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// freePort returns a TCP port on host that was free a moment ago.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until a node leads the JetStream meta group and knows
// every node as a peer.
func (c *Cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		for _, s := range c.Running() {
			if s.ns.JetStreamIsLeader() && len(s.ns.JetStreamClusterPeers()) == len(c.Servers) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no JetStream meta leader with %d peers after %s", len(c.Servers), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Running returns the nodes that have not been shut down.
func (c *Cluster) Running() []*Server {
	var out []*Server
	for _, s := range c.Servers {
		if s.Running() {
			out = append(out, s)
		}
	}
	return out
}

// ClientURLs returns the client URLs of every node, in node order, for a
// connection that fails over between them (nats.Connect takes them joined
// by commas).
func (c *Cluster) ClientURLs() []string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.ClientURL()
	}
	return urls
}

// StreamLeader returns the running node that leads the replicated stream
// of the default account, or nil while it has no leader.
func (c *Cluster) StreamLeader(stream string) *Server {
	for _, s := range c.Running() {
		if s.ns.JetStreamIsStreamLeader(globalAccount, stream) {
			return s
		}
	}
	return nil
}

// WaitForStreamLeader waits up to timeout for the stream to have a leader
// among the running nodes and returns it.
func (c *Cluster) WaitForStreamLeader(stream string, timeout time.Duration) (*Server, error) {
	deadline := time.Now().Add(timeout)
	for {
		if s := c.StreamLeader(stream); s != nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("stream %s: no leader after %s", stream, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Shutdown stops every running node.
func (c *Cluster) Shutdown() {
	for _, s := range c.Running() {
		s.Shutdown()
	}
}
