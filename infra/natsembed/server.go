// Package natsembed runs a NATS server with JetStream inside the Helpdesk
// process, for `helpdesk up` and for tests.
package natsembed

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// DefaultListen is the embedded server's default client address. It is not
// the standard 4222, so that `helpdesk up` never clashes with a NATS server
// already running on the machine.
const DefaultListen = "127.0.0.1:4223"

// Config configures an embedded server.
type Config struct {
	// DataDir holds the JetStream file store (in DataDir/jetstream).
	DataDir string
	// Listen is the client address "host:port"; port -1 or 0 picks a free one.
	Listen string
	// ServerName names the server; default "helpdesk".
	ServerName string
	// SyncAlways makes JetStream fsync every write before acknowledging it,
	// so an acknowledged event survives a power loss, not only a crash of
	// the process. Without it the store is flushed to disk every
	// SyncInterval (NATS default 2 minutes) and by the operating system.
	SyncAlways bool
	// SyncInterval is how often JetStream fsyncs when SyncAlways is off;
	// zero keeps the NATS default.
	SyncInterval time.Duration
	// Cluster, when its Name is set, makes the server a node of a NATS
	// cluster with clustered JetStream (see StartCluster).
	Cluster ClusterNode
}

// ClusterNode is a server's place in a cluster: the cluster's name, the
// address the other nodes connect to, and the routes to them.
type ClusterNode struct {
	// Name is the cluster's name, the same on every node.
	Name string
	// Listen is the route address "host:port"; port -1 or 0 picks a free one.
	Listen string
	// Routes are the route URLs (nats-route://host:port) of other nodes.
	// A node learns the rest of the cluster from the nodes it reaches, but
	// clustered JetStream refuses to start on a node without any route
	// configured: StartCluster gives every node routes to all others.
	Routes []string
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("embedded nats: DataDir is required")
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "helpdesk"
	}
	host, portText, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: listen port %q: %w", portText, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if port != server.RANDOM_PORT {
		// Fail with a clear message instead of the server's log line.
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("embedded nats: cannot listen on %s (use --nats-listen to pick another address): %w", cfg.Listen, err)
		}
		ln.Close()
	}
	opts := &server.Options{
		ServerName:   cfg.ServerName,
		Host:         host,
		Port:         port,
		JetStream:    true,
		StoreDir:     filepath.Join(cfg.DataDir, "jetstream"),
		NoSigs:       true,
		MaxPayload:   8 << 20,
		SyncAlways:   cfg.SyncAlways,
		SyncInterval: cfg.SyncInterval,
	}
	if cfg.Cluster.Name != "" {
		if err := cfg.Cluster.apply(opts); err != nil {
			return nil, err
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 30s on %s", cfg.Listen)
	}
	return &Server{ns: ns}, nil
}

// apply sets the cluster options of a server.
func (c ClusterNode) apply(opts *server.Options) error {
	host, portText, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("embedded nats: cluster listen address %q: %w", c.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("embedded nats: cluster listen port %q: %w", portText, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if port != server.RANDOM_PORT {
		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return fmt.Errorf("embedded nats: cannot listen for routes on %s: %w", c.Listen, err)
		}
		ln.Close()
	}
	opts.Cluster = server.ClusterOpts{Name: c.Name, Host: host, Port: port}
	for _, r := range c.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return fmt.Errorf("embedded nats: route %q: %w", r, err)
		}
		opts.Routes = append(opts.Routes, u)
	}
	return nil
}

// Name is the server's name (Config.ServerName).
func (s *Server) Name() string { return s.ns.Name() }

// RouteURL is the URL other cluster nodes use to reach this one; empty
// when the server is not clustered.
func (s *Server) RouteURL() string {
	addr := s.ns.ClusterAddr()
	if addr == nil {
		return ""
	}
	return "nats-route://" + addr.String()
}

// Running reports whether the server has not been shut down.
func (s *Server) Running() bool { return s.ns.Running() }

// ClientURL is the URL clients use to reach the server.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Connect opens an in-process client connection to the server.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(s.ns)}, opts...)
	nc, err := nats.Connect(s.ns.ClientURL(), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server and waits until it has stopped; JetStream
// flushes its store on the way down.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
