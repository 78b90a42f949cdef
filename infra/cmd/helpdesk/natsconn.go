package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"helpdesk/infra/natsembed"
)

// natsConfig is how a command reaches an external NATS server: its URL,
// TLS (a CA to trust, a client certificate) and credentials (a .creds
// file, a user and password, or a token).
type natsConfig struct {
	url, ca, cert, key, creds, user, password, token string
}

// natsFlag registers the flags of a NATS connection; pass what it returns
// to connect.
func natsFlag(fs *flag.FlagSet) *natsConfig {
	var c natsConfig
	fs.StringVar(&c.url, "nats-url", env("HELPDESK_NATS_URL", "nats://"+natsembed.DefaultListen), "NATS server URL; tls:// for TLS (HELPDESK_NATS_URL)")
	fs.StringVar(&c.ca, "nats-ca", env("HELPDESK_NATS_CA", ""), "PEM file of the CA that signed the NATS server's certificate; implies TLS (HELPDESK_NATS_CA)")
	fs.StringVar(&c.cert, "nats-cert", env("HELPDESK_NATS_CERT", ""), "PEM client certificate for NATS servers that verify clients, with --nats-key (HELPDESK_NATS_CERT)")
	fs.StringVar(&c.key, "nats-key", env("HELPDESK_NATS_KEY", ""), "PEM private key of --nats-cert (HELPDESK_NATS_KEY)")
	fs.StringVar(&c.creds, "nats-creds", env("HELPDESK_NATS_CREDS", ""), "NATS credentials file (user JWT and nkey seed) (HELPDESK_NATS_CREDS)")
	fs.StringVar(&c.user, "nats-user", env("HELPDESK_NATS_USER", ""), "NATS user name, with HELPDESK_NATS_PASSWORD (HELPDESK_NATS_USER)")
	fs.StringVar(&c.password, "nats-password", env("HELPDESK_NATS_PASSWORD", ""), "NATS password; prefer the environment variable, which ps does not show (HELPDESK_NATS_PASSWORD)")
	fs.StringVar(&c.token, "nats-token", env("HELPDESK_NATS_TOKEN", ""), "NATS authentication token; prefer the environment variable (HELPDESK_NATS_TOKEN)")
	return &c
}

// natsConnectTimeout bounds each attempt to reach the server; requests are
// bounded by their contexts.
const natsConnectTimeout = 5 * time.Second

// options turns the configuration into connection options, refusing
// combinations that cannot work.
func (c natsConfig) options() ([]nats.Option, error) {
	var errs []error
	if (c.cert == "") != (c.key == "") {
		errs = append(errs, errors.New("--nats-cert and --nats-key go together"))
	}
	auths := 0
	for _, set := range []bool{c.creds != "", c.user != "" || c.password != "", c.token != ""} {
		if set {
			auths++
		}
	}
	if auths > 1 {
		errs = append(errs, errors.New("give one of --nats-creds, --nats-user/--nats-password and --nats-token"))
	}
	if (c.user == "") != (c.password == "") {
		errs = append(errs, errors.New("--nats-user and --nats-password (HELPDESK_NATS_PASSWORD) go together"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var opts []nats.Option
	if c.ca != "" {
		opts = append(opts, nats.RootCAs(c.ca))
	}
	if c.cert != "" {
		opts = append(opts, nats.ClientCert(c.cert, c.key))
	}
	switch {
	case c.creds != "":
		opts = append(opts, nats.UserCredentials(c.creds))
	case c.user != "":
		opts = append(opts, nats.UserInfo(c.user, c.password))
	case c.token != "":
		opts = append(opts, nats.Token(c.token))
	}
	return opts, nil
}

// connect opens a connection named name that reconnects for ever once
// established.
func connect(c natsConfig, name string) (*nats.Conn, error) {
	opts, err := c.options()
	if err != nil {
		return nil, fmt.Errorf("nats connection: %w", err)
	}
	opts = append(opts, nats.Name(name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false), nats.Timeout(natsConnectTimeout))
	nc, err := nats.Connect(c.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redactURLs(c.url), err)
	}
	return nc, nil
}

// redactURLs hides the passwords and tokens of a comma-separated list of
// server URLs (nats://user:password@host), for messages and logs.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			if _, hasPassword := u.User.Password(); !hasPassword {
				u.User = url.User("xxxxx") // a token alone
			}
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

// connectJetStream is connect for commands that read streams: the
// connection and its JetStream context.
func connectJetStream(c natsConfig, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := connect(c, name)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}
